import { useEffect, useRef, useState } from "react";
import type { Backend } from "./backend";
import type { CheckView } from "./bindings/CheckView";
import type { Overview } from "./bindings/Overview";
import { Counts } from "./components/Counts";
import { StatusBadge } from "./components/StatusBadge";
import { useRoute } from "./lib/route";
import { STATUS_LABEL } from "./lib/status";
import { useLiveOverview } from "./lib/useLiveOverview";
import { CheckPage } from "./views/CheckPage";
import { OverviewPage } from "./views/OverviewPage";

export function App({ backend }: { backend: Backend }) {
  const route = useRoute();
  const live = useLiveOverview(backend);
  const { overview } = live;
  const [query, setQuery] = useState("");
  const [onlyProblems, setOnlyProblems] = useState(false);

  useEffect(() => {
    document.title = overview ? `${STATUS_LABEL[overview.status]} · opsdeck` : "opsdeck";
  }, [overview]);

  useRouteFocus(route.view === "check" ? route.id : null);

  return (
    <div className="app">
      <header className="app-head">
        <a className="brand" href="#/">
          opsdeck
        </a>
        {overview && (
          <>
            <span className="overall">
              <span className="sr-only">Overall status: </span>
              <StatusBadge status={overview.status} className="status-large" />
            </span>
            <Counts counts={overview.counts} all label="All checks by status" />
          </>
        )}
        <span className={`live ${live.live ? "live-on" : "live-off"}`} role="status">
          {live.live ? "Live" : "Connecting…"}
        </span>
      </header>
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
        ) : (
          <OverviewPage
            state={live}
            query={query}
            onQueryChange={setQuery}
            onlyProblems={onlyProblems}
            onOnlyProblemsChange={setOnlyProblems}
          />
        )}
      </div>
    </div>
  );
}

function findCheck(overview: Overview | null, id: string): CheckView | null {
  for (const env of overview?.environments ?? []) {
    const found = env.checks.find((c) => c.id === id);
    if (found) return found;
  }
  return null;
}

/**
 * After navigating, move focus to the new view's heading; back on the overview, to the
 * link of the check just left, so keyboard users keep their place.
 */
function useRouteFocus(checkId: string | null) {
  const previous = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    const left = previous.current;
    previous.current = checkId;
    if (left === undefined) return; // first render: leave focus alone
    const link =
      checkId === null && left
        ? [...document.querySelectorAll<HTMLElement>("a[data-check-id]")].find(
            (a) => a.dataset.checkId === left,
          )
        : undefined;
    if (link) link.focus();
    else document.querySelector<HTMLElement>("#main-content h1")?.focus();
    if (checkId !== null) window.scrollTo(0, 0);
  }, [checkId]);
}
