import { useSyncExternalStore } from "react";

export type Route = { view: "overview" } | { view: "check"; id: string } | { view: "settings" };

export function parseHash(hash: string): Route {
  if (hash === "#/settings" || hash.startsWith("#/settings/") || hash.startsWith("#/settings?")) {
    return { view: "settings" };
  }
  const m = /^#\/check\/(.+)$/.exec(hash);
  if (m?.[1]) {
    try {
      return { view: "check", id: decodeURIComponent(m[1]) };
    } catch {
      return { view: "overview" };
    }
  }
  return { view: "overview" };
}

export function checkHref(id: string): string {
  return `#/check/${encodeURIComponent(id)}`;
}

export const OVERVIEW_HREF = "#/";
export const SETTINGS_HREF = "#/settings";

/** Goes to `href` (a hash); reports whether that changed the route. */
export function navigate(href: string): boolean {
  if (window.location.hash === href || (href === OVERVIEW_HREF && window.location.hash === "")) return false;
  window.location.hash = href;
  return true;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

const snapshot = () => window.location.hash;

/** The view named by the URL hash (`#/`, `#/check/<id>` or `#/settings`). */
export function useRoute(): Route {
  return parseHash(useSyncExternalStore(subscribe, snapshot));
}
