import { memo, useId, useMemo } from "react";
import type { CheckView } from "../bindings/CheckView";
import type { EnvironmentView } from "../bindings/EnvironmentView";
import { Ago } from "../components/Ago";
import { Counts } from "../components/Counts";
import { StatusBadge } from "../components/StatusBadge";
import { formatLatency, formatUptime } from "../lib/format";
import { filterEnvironments, totalChecks } from "../lib/overview";
import { checkHref } from "../lib/route";
import type { LiveOverview } from "../lib/useLiveOverview";

export interface OverviewPageProps {
  state: LiveOverview;
  query: string;
  onQueryChange: (query: string) => void;
  onlyProblems: boolean;
  onOnlyProblemsChange: (only: boolean) => void;
}

export function OverviewPage({
  state,
  query,
  onQueryChange,
  onlyProblems,
  onOnlyProblemsChange,
}: OverviewPageProps) {
  const { overview, error, reload } = state;
  const searchId = useId();
  const environments = useMemo(
    () => (overview ? filterEnvironments(overview.environments, query, onlyProblems) : []),
    [overview, query, onlyProblems],
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

  return (
    <main className="page">
      <h1 className="sr-only" tabIndex={-1}>
        Overview
      </h1>
      {error && (
        <div className="banner banner-warn" role="status">
          <p>Could not refresh: {error.message}. Showing the last data received.</p>
          <button type="button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      <div className="toolbar" role="search">
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
        <label className="toggle">
          <input
            type="checkbox"
            checked={onlyProblems}
            onChange={(e) => onOnlyProblemsChange(e.target.checked)}
          />
          Only problems
        </label>
      </div>
      <p className="muted result-count" role="status">
        {total === 0
          ? "No checks are configured."
          : filtering
            ? `Showing ${shown} of ${total} checks`
            : `${total} checks`}
      </p>
      {filtering && shown === 0 && total > 0 && (
        <p className="empty">
          {onlyProblems && query.trim() === "" ? "No problems: every check is up." : "No check matches."}
        </p>
      )}
      {environments.map((env) => (
        <Environment key={env.id} env={env} uptime={overview.uptime_24h} />
      ))}
    </main>
  );
}

function Environment({ env, uptime }: { env: EnvironmentView; uptime: Overview24h }) {
  const headingId = useId();
  return (
    <section className="env" aria-labelledby={headingId}>
      <header className="env-head">
        <h2 id={headingId}>{env.name}</h2>
        <StatusBadge status={env.status} />
        <Counts counts={env.counts} label={`Checks in ${env.name} by status`} />
      </header>
      <ul className="checks">
        {env.checks.map((check) => (
          <CheckRow key={check.id} check={check} uptime={uptime[check.id]} />
        ))}
      </ul>
    </section>
  );
}

type Overview24h = { [id: string]: number | undefined };

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
        <p className="row-message">{check.message || <span className="muted">No message</span>}</p>
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
