import { useCallback, useEffect, useRef, useState } from "react";
import { api, type Backend } from "./backend";
import type { CheckView } from "./bindings/CheckView";
import type { Overview } from "./bindings/Overview";
import { CommandPalette } from "./components/CommandPalette";
import { ConnectionBanner } from "./components/ConnectionBanner";
import { Counts } from "./components/Counts";
import { StatusBadge } from "./components/StatusBadge";
import { totalChecks } from "./lib/overview";
import { OVERVIEW_HREF, SETTINGS_HREF, useRoute, type Route } from "./lib/route";
import { isJumpShortcut, jumpShortcutLabel } from "./lib/shortcut";
import { STATUS_LABEL } from "./lib/status";
import { isBoolean, isString, useStoredState } from "./lib/storage";
import { useLiveOverview, type Connection } from "./lib/useLiveOverview";
import { CheckPage } from "./views/CheckPage";
import { OverviewPage } from "./views/OverviewPage";
import { SettingsPage } from "./views/SettingsPage";

// The search and filter are remembered for the browser tab, not across visits: a new day
// starts with the whole estate in view.
const QUERY_KEY = "opsdeck:overview-query";
const ONLY_PROBLEMS_KEY = "opsdeck:overview-only-problems";

const CONNECTION_TEXT: Record<Connection, string> = {
  live: "Live",
  connecting: "Connecting…",
  lost: "Reconnecting…",
};

export function App({ backend }: { backend: Backend }) {
  const route = useRoute();
  const live = useLiveOverview(backend);
  const { overview } = live;
  const [query, setQuery] = useStoredState("session", QUERY_KEY, "", isString);
  const [onlyProblems, setOnlyProblems] = useStoredState("session", ONLY_PROBLEMS_KEY, false, isBoolean);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const closePalette = useCallback(() => setPaletteOpen(false), []);
  const checkAll = useCallback(() => api(backend).checkAll(), [backend]);

  useEffect(() => {
    document.title = overview ? `${STATUS_LABEL[overview.status]} · opsdeck` : "opsdeck";
  }, [overview]);

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (!isJumpShortcut(e)) return;
      // Also keeps the browser from using the shortcut for its own search box.
      e.preventDefault();
      setPaletteOpen(true);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  useRouteFocus(route);

  return (
    <div className="app">
      {/* Everything but the palette: inert while the palette is open, as it is modal. */}
      <div className="app-frame" inert={paletteOpen}>
        <a
          className="skip-link"
          href="#main-content"
          onClick={(e) => {
            // The hash names routes, so move focus by hand instead of following the link.
            e.preventDefault();
            document.querySelector<HTMLElement>("#main-content h1")?.focus();
          }}
        >
          Skip to content
        </a>
        <header className="app-head">
          <a className="brand" href={OVERVIEW_HREF}>
            <img className="brand-icon" src="./icons/icon-192.png" alt="" width="20" height="20" />
            opsdeck
          </a>
          <nav className="app-nav" aria-label="Main">
            <a href={OVERVIEW_HREF} aria-current={route.view === "overview" ? "page" : undefined}>
              Overview
            </a>
            <a href={SETTINGS_HREF} aria-current={route.view === "settings" ? "page" : undefined}>
              Settings
            </a>
          </nav>
          {overview && totalChecks(overview) > 0 && (
            <div className="app-summary">
              <span className="overall">
                <span className="sr-only">Overall status: </span>
                <StatusBadge status={overview.status} className="status-large" />
              </span>
              <Counts counts={overview.counts} all label="All checks by status" />
            </div>
          )}
          <div className="app-tools">
            <button
              type="button"
              className="jump-button"
              aria-haspopup="dialog"
              aria-keyshortcuts="Control+K Meta+K"
              onClick={() => setPaletteOpen(true)}
            >
              <SearchIcon />
              <span>Jump to…</span>
              <kbd aria-hidden="true">{jumpShortcutLabel()}</kbd>
            </button>
            <span className={`live live-${live.connection}`} role="status">
              {CONNECTION_TEXT[live.connection]}
            </span>
          </div>
        </header>
        <ConnectionBanner connection={live.connection} lastDataAt={live.lastDataAt} />
        {overview?.config.error && (
          <div className="banner banner-error config-error" role="alert">
            <p>
              <strong>The configuration file was not applied.</strong> The previous configuration is still in
              use.
            </p>
            {overview.config.path && <p className="wrap">File: {overview.config.path}</p>}
            <pre className="wrap">{overview.config.error}</pre>
          </div>
        )}
        <div id="main-content">
          {route.view === "check" ? (
            <CheckPage key={route.id} backend={backend} id={route.id} known={findCheck(overview, route.id)} />
          ) : route.view === "settings" ? (
            <SettingsPage backend={backend} />
          ) : (
            <OverviewPage
              state={live}
              query={query}
              onQueryChange={setQuery}
              onlyProblems={onlyProblems}
              onOnlyProblemsChange={setOnlyProblems}
              onCheckAll={checkAll}
            />
          )}
        </div>
      </div>
      {paletteOpen && <CommandPalette overview={overview} onClose={closePalette} />}
    </div>
  );
}

function SearchIcon() {
  return (
    <svg className="button-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M10.4 10.4L14 14" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function findCheck(overview: Overview | null, id: string): CheckView | null {
  for (const env of overview?.environments ?? []) {
    const found = env.checks.find((c) => c.id === id);
    if (found) return found;
  }
  return null;
}

/** One string per distinct view, so effects can tell when the view changed. */
function routeKey(route: Route): string {
  return route.view === "check" ? `check:${route.id}` : route.view;
}

/**
 * After navigating, move focus to the new view's heading; back on the overview, to the
 * link of the check just left, so keyboard users keep their place.
 */
function useRouteFocus(route: Route) {
  const key = routeKey(route);
  const previous = useRef<string | undefined>(undefined);
  useEffect(() => {
    const left = previous.current;
    previous.current = key;
    if (left === undefined) return; // first render: leave focus alone
    const leftCheck = left.startsWith("check:") ? left.slice("check:".length) : null;
    const link =
      key === "overview" && leftCheck !== null
        ? [...document.querySelectorAll<HTMLElement>("a[data-check-id]")].find(
            (a) => a.dataset.checkId === leftCheck,
          )
        : undefined;
    if (link) link.focus();
    else document.querySelector<HTMLElement>("#main-content h1")?.focus();
    if (key !== "overview") window.scrollTo(0, 0);
  }, [key]);
}
