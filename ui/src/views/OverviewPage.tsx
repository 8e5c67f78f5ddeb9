import { memo, useDeferredValue, useId, useMemo, useState } from "react";
import { toBackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { EnvironmentView } from "../bindings/EnvironmentView";
import type { StatusCounts } from "../bindings/StatusCounts";
import { Ago } from "../components/Ago";
import { Counts } from "../components/Counts";
import { FirstRun } from "../components/FirstRun";
import { StatusBadge } from "../components/StatusBadge";
import { readCredential } from "../lib/details";
import { formatLatency, formatUptime } from "../lib/format";
import { filterEnvironments, sortWorstFirst, totalChecks } from "../lib/overview";
import { checkHref } from "../lib/route";
import { describeCounts } from "../lib/status";
import { useStoredState } from "../lib/storage";
import type { LiveOverview } from "../lib/useLiveOverview";

/** From this many checks on, lists off screen skip rendering (`.page-large` in the CSS). */
const LARGE_ESTATE = 300;

/** A dense list, one check per line, or a grid of cards. */
export type Layout = "list" | "grid";

export const LAYOUT_STORAGE_KEY = "opsdeck:overview-layout";
const isLayout = (v: unknown): v is Layout => v === "list" || v === "grid";

export interface OverviewPageProps {
  state: LiveOverview;
  query: string;
  onQueryChange: (query: string) => void;
  onlyProblems: boolean;
  onOnlyProblemsChange: (only: boolean) => void;
  /** Runs every check now; without it the page offers no "Check all now". */
  onCheckAll?: () => Promise<StatusCounts>;
}

export function OverviewPage({
  state,
  query,
  onQueryChange,
  onlyProblems,
  onOnlyProblemsChange,
  onCheckAll,
}: OverviewPageProps) {
  const { overview, error, reload, connection } = state;
  const searchId = useId();
  const [layout, setLayout] = useStoredState<Layout>("local", LAYOUT_STORAGE_KEY, "list", isLayout);
  // Typing stays responsive with thousands of checks: the list catches up between keystrokes.
  const deferredQuery = useDeferredValue(query);
  const environments = useMemo(
    () =>
      overview ? sortWorstFirst(filterEnvironments(overview.environments, deferredQuery, onlyProblems)) : [],
    [overview, deferredQuery, onlyProblems],
  );

  if (overview === null) {
    return (
      <main className="page">
        <h1 tabIndex={-1}>Overview</h1>
        {error ? (
          <div className="banner banner-error" role="alert">
            <p>Cannot load the overview: {error.message}</p>
            <button type="button" onClick={reload}>
              Try again
            </button>
          </div>
        ) : (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
      </main>
    );
  }

  const total = totalChecks(overview);
  const shown = environments.reduce((n, e) => n + e.checks.length, 0);
  const filtering = query.trim() !== "" || onlyProblems;
  // While the stream is down, the connection banner already says why nothing refreshes.
  const refreshFailed = error !== null && connection !== "lost" && (
    <div className="banner banner-warn" role="status">
      <p>Could not refresh: {error.message}. Showing the last data received.</p>
      <button type="button" onClick={reload}>
        Try again
      </button>
    </div>
  );

  if (total === 0) {
    return (
      <main className="page">
        <h1 className="sr-only" tabIndex={-1}>
          Overview
        </h1>
        {refreshFailed}
        <FirstRun configPath={overview.config.path} />
      </main>
    );
  }

  return (
    <main className={total >= LARGE_ESTATE ? "page page-large" : "page"} data-layout={layout}>
      <h1 className="sr-only" tabIndex={-1}>
        Overview
      </h1>
      {refreshFailed}
      <div className="toolbar">
        <div className="toolbar-search" role="search">
          <label className="sr-only" htmlFor={searchId}>
            Search checks
          </label>
          <input
            id={searchId}
            type="search"
            value={query}
            placeholder="Search name, id, URL, tag, environment"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => onQueryChange(e.target.value)}
          />
        </div>
        <div className="toolbar-options">
          <label className="toggle">
            <input
              type="checkbox"
              checked={onlyProblems}
              onChange={(e) => onOnlyProblemsChange(e.target.checked)}
            />
            Only problems
          </label>
          {onCheckAll && <CheckAllButton run={onCheckAll} />}
          <div className="segmented layout-toggle" role="group" aria-label="Layout">
            <button type="button" aria-pressed={layout === "list"} onClick={() => setLayout("list")}>
              <ListIcon />
              List
            </button>
            <button type="button" aria-pressed={layout === "grid"} onClick={() => setLayout("grid")}>
              <GridIcon />
              Grid
            </button>
          </div>
        </div>
      </div>
      <p className="muted result-count" role="status">
        {filtering ? `Showing ${shown} of ${total} checks` : `${total} checks`}
      </p>
      {filtering && shown === 0 && (
        <p className="empty">
          {onlyProblems && query.trim() === "" ? "No problems: every check is up." : "No check matches."}
        </p>
      )}
      {environments.map((env) => (
        <Environment key={env.id} env={env} uptime={overview.uptime_24h} layout={layout} />
      ))}
    </main>
  );
}

type Uptimes = { [id: string]: number | undefined };

// Memoised: a live result replaces one environment object; the others keep their identity
// and are skipped.
const Environment = memo(function Environment({
  env,
  uptime,
  layout,
}: {
  env: EnvironmentView;
  uptime: Uptimes;
  layout: Layout;
}) {
  const headingId = useId();
  // Placeholder height while the list is off screen (`content-visibility: auto`), so the
  // scrollbar does not jump; once rendered, the browser remembers the real one.
  const rows = layout === "list" ? env.checks.length : Math.ceil(env.checks.length / 3);
  const estimateRem = rows * (layout === "list" ? 3.3 : 8.5);
  return (
    <section className="env" aria-labelledby={headingId}>
      <header className="env-head">
        <h2 id={headingId}>{env.name}</h2>
        <StatusBadge status={env.status} />
        <Counts counts={env.counts} label={`Checks in ${env.name} by status`} />
      </header>
      <ul className={`checks checks-${layout}`} style={{ containIntrinsicSize: `auto ${estimateRem}rem` }}>
        {env.checks.map((check) => (
          <CheckRow key={check.id} check={check} uptime={uptime[check.id]} />
        ))}
      </ul>
    </section>
  );
});

// One markup for both layouts (the list's class decides), so switching layout re-renders
// nothing per check.
const CheckRow = memo(function CheckRow({ check, uptime }: { check: CheckView; uptime: number | undefined }) {
  return (
    <li className={`check-row row-${check.status}`}>
      <StatusBadge status={check.status} className="row-status" />
      <div className="row-main">
        <a className="row-name" href={checkHref(check.id)} data-check-id={check.id}>
          {check.name}
        </a>
        {check.last_status !== check.status && (
          <span className="row-pending">
            newest result: <StatusBadge status={check.last_status} />
          </span>
        )}
        <CredentialHint details={check.details} />
        {check.target && (
          <p className="row-target" title={check.target}>
            {check.target}
          </p>
        )}
        <p className="row-message" title={check.message || undefined}>
          {check.message || <span className="muted">No message</span>}
        </p>
      </div>
      <div className="row-meta">
        <span>
          <span className="sr-only">Latency </span>
          {formatLatency(check.latency_ms)}
        </span>
        <span>
          <Ago iso={check.checked_at} text={(s) => `checked ${s} ago`} empty="not checked yet" />
        </span>
        <span>
          <span className="sr-only">Uptime over 24 hours: </span>
          {formatUptime(uptime)}
          <span className="muted" aria-hidden="true">
            {" "}
            24 h
          </span>
        </span>
      </div>
    </li>
  );
});

/** "credential missing" (locked, unavailable, invalid) when the check could not read its credential. */
function CredentialHint({ details }: { details: CheckView["details"] }) {
  const issue = readCredential(details);
  if (issue === null) return null;
  return (
    <span className="row-hint" title={`Credential ${issue.name}`}>
      <KeyIcon />
      credential {issue.problem}
    </span>
  );
}

function KeyIcon() {
  return (
    <svg className="button-icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="5" cy="8" r="3" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M8 8h7M12.5 8v2.5M14.5 8v2" stroke="currentColor" strokeWidth="1.6" fill="none" />
    </svg>
  );
}

function ListIcon() {
  return (
    <svg className="button-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d="M2 3.5h12M2 8h12M2 12.5h12" stroke="currentColor" strokeWidth="1.6" fill="none" />
    </svg>
  );
}

function GridIcon() {
  return (
    <svg className="button-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <rect x="1.5" y="1.5" width="5.5" height="5.5" rx="1" fill="currentColor" />
      <rect x="9" y="1.5" width="5.5" height="5.5" rx="1" fill="currentColor" />
      <rect x="1.5" y="9" width="5.5" height="5.5" rx="1" fill="currentColor" />
      <rect x="9" y="9" width="5.5" height="5.5" rx="1" fill="currentColor" />
    </svg>
  );
}

type CheckAllState =
  | { state: "idle" }
  | { state: "running" }
  | { state: "done"; counts: StatusCounts }
  | { state: "failed"; message: string };

/** "Check all now": after a fix or a restart, see the whole estate's answer at once. */
function CheckAllButton({ run }: { run: () => Promise<StatusCounts> }) {
  const [progress, setProgress] = useState<CheckAllState>({ state: "idle" });
  const start = () => {
    if (progress.state === "running") return;
    setProgress({ state: "running" });
    run().then(
      (counts) => setProgress({ state: "done", counts }),
      (e: unknown) => setProgress({ state: "failed", message: toBackendError(e).message }),
    );
  };
  return (
    <span className="check-all">
      <button type="button" onClick={start} aria-disabled={progress.state === "running" || undefined}>
        {progress.state === "running" ? "Checking all…" : "Check all now"}
      </button>
      <span className="check-all-result" role="status">
        {progress.state === "done" && `Checked: ${describeCounts(progress.counts)}`}
        {progress.state === "failed" && `Could not check all: ${progress.message}`}
      </span>
    </span>
  );
}

