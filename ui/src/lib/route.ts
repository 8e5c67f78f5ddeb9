import { useSyncExternalStore } from "react";

/** The CAB page's views: the pipeline of every CAB, or the audit log. */
export type CabsTab = "pipeline" | "audit";

/** The Environments page's views: a card per Epicor environment, or them side by side. */
export type EnvironmentsTab = "cards" | "compare";

export type Route =
  | { view: "overview" }
  | { view: "queues" }
  | { view: "alerts" }
  | { view: "cabs"; tab: CabsTab }
  | { view: "cab"; name: string }
  | { view: "environments"; tab: EnvironmentsTab }
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
  if (isPage(hash, CAB_AUDIT_HREF)) return { view: "cabs", tab: "audit" };
  if (isPage(hash, CABS_HREF)) return { view: "cabs", tab: "pipeline" };
  if (isPage(hash, ENVIRONMENTS_COMPARE_HREF)) return { view: "environments", tab: "compare" };
  if (isPage(hash, ENVIRONMENTS_HREF)) return { view: "environments", tab: "cards" };
  const cab = /^#\/cab\/(.+)$/.exec(hash);
  if (cab?.[1]) {
    try {
      return { view: "cab", name: decodeURIComponent(cab[1]) };
    } catch {
      return { view: "cabs", tab: "pipeline" };
    }
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

/** A CAB's page, by its file name (`GHA Orders.cab`). */
export function cabHref(name: string): string {
  return `#/cab/${encodeURIComponent(name)}`;
}

export const OVERVIEW_HREF = "#/";
export const QUEUES_HREF = "#/queues";
export const ALERTS_HREF = "#/alerts";
export const CABS_HREF = "#/cabs";
export const CAB_AUDIT_HREF = "#/cabs/audit";
export const ENVIRONMENTS_HREF = "#/environments";
export const ENVIRONMENTS_COMPARE_HREF = "#/environments/compare";
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
 * The view named by the URL hash (`#/`, `#/queues`, `#/alerts`, `#/cabs`, `#/cabs/audit`,
 * `#/cab/<name>`, `#/environments`, `#/environments/compare`, `#/check/<id>`, `#/settings` or
 * `#/credentials`).
 */
export function useRoute(): Route {
  return parseHash(useSyncExternalStore(subscribe, snapshot));
}
