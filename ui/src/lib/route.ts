import { useSyncExternalStore } from "react";

export type Route = { view: "overview" } | { view: "check"; id: string };

export function parseHash(hash: string): Route {
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

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

const snapshot = () => window.location.hash;

/** The view named by the URL hash (`#/` or `#/check/<id>`). */
export function useRoute(): Route {
  return parseHash(useSyncExternalStore(subscribe, snapshot));
}
