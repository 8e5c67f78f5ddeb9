import { useSyncExternalStore } from "react";

export type Route =
  | { view: "overview" }
  | { view: "queues" }
  | { view: "alerts" }
  | { view: "check"; id: string }
  | { view: "settings" }
  | { view: "credentials" };

const isPage = (hash: string, page: string) =>
  hash === page || hash.startsWith(`${page}/`) || hash.startsWith(`${page}?`);

export function parseHash(hash: string): Route {
  if (isPage(hash, SETTINGS_HREF)) return { view: "settings" };
  if (isPage(hash, CREDENTIALS_HREF)) return { view: "credentials" };
  if (isPage(hash, QUEUES_HREF)) return { view: "queues" };
  if (isPage(hash, ALERTS_HREF)) return { view: "alerts" };
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
export const QUEUES_HREF = "#/queues";
export const ALERTS_HREF = "#/alerts";
export const SETTINGS_HREF = "#/settings";
export const CREDENTIALS_HREF = "#/credentials";

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

/**
 * The view named by the URL hash (`#/`, `#/queues`, `#/alerts`, `#/check/<id>`, `#/settings`
 * or `#/credentials`).
 */
export function useRoute(): Route {
  return parseHash(useSyncExternalStore(subscribe, snapshot));
}
