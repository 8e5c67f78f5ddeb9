import { memo, useDeferredValue, useId, useMemo } from "react";
import type { Backend } from "../backend";
import type { QueueRow } from "../bindings/QueueRow";
import { Counts } from "../components/Counts";
import { MovementBadge } from "../components/MovementBadge";
import { Sparkline } from "../components/Sparkline";
import { StatusBadge } from "../components/StatusBadge";
import { formatCount, formatRate } from "../lib/format";
import {
  countMovements,
  describeMovements,
  filterQueues,
  queueNames,
  queueOf,
} from "../lib/queues";
import { checkHref } from "../lib/route";
import { countStatuses } from "../lib/status";
import { isBoolean, isString, useStoredState } from "../lib/storage";
import { useLiveQueues } from "../lib/useLiveQueues";

// Remembered for the browser tab, as on the overview.
const QUERY_KEY = "opsdeck:queues-query";
const ONLY_PROBLEMS_KEY = "opsdeck:queues-only-problems";

const EXAMPLE = `[[check]]
id = "erp-mq"
name = "ERP broker"
environment = "live"
type = "rabbitmq"
url = "http://mq.example.com:15672"
vhost = "/"
queues = ["erp.*"]
username = "opsdeck-monitor"
password = { secret = "erp-mq" }
max_depth = 1000`;

// Memoised: the console re-renders on every result the overview takes in (a broker's poll
// brings one per queue); this page follows the events itself and need not re-render with it.
export const QueuesPage = memo(function QueuesPage({ backend }: { backend: Backend }) {
  const { rows, error, reload } = useLiveQueues(backend);
  const headingId = useId();
  const searchId = useId();
  const [query, setQuery] = useStoredState("session", QUERY_KEY, "", isString);
  const [onlyProblems, setOnlyProblems] = useStoredState("session", ONLY_PROBLEMS_KEY, false, isBoolean);
  // Typing stays responsive with hundreds of queues: the table catches up between keystrokes.
  const deferredQuery = useDeferredValue(query);
  const shown = useMemo(
    () => (rows ? filterQueues(rows, deferredQuery, onlyProblems) : []),
    [rows, deferredQuery, onlyProblems],
  );
  const counts = useMemo(() => countStatuses((rows ?? []).map((r) => r.check)), [rows]);
  const movements = useMemo(() => describeMovements(countMovements(rows ?? [])), [rows]);

  const heading = (
    <h1 id={headingId} tabIndex={-1}>
      Queues
    </h1>
  );

  if (rows === null) {
    return (
      <main className="page queues">
        {heading}
        {error ? (
          <div className="banner banner-error" role="alert">
            <p>Cannot load the queues: {error.message}</p>
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

  const refreshFailed = error !== null && (
    <div className="banner banner-warn" role="status">
      <p>Could not refresh: {error.message}. Showing the last data received.</p>
      <button type="button" onClick={reload}>
        Try again
      </button>
    </div>
  );

  if (rows.length === 0) {
    return (
      <main className="page queues">
        {heading}
        {refreshFailed}
        <NoQueues />
      </main>
    );
  }

  const filtering = query.trim() !== "" || onlyProblems;
  return (
    <main className="page queues">
      <header className="queues-head">
        {heading}
        <Counts counts={counts} label="Queues by status" />
        {movements && <p className="queues-movements">{movements}</p>}
      </header>
      {refreshFailed}
      <div className="toolbar">
        <div className="toolbar-search" role="search">
          <label className="sr-only" htmlFor={searchId}>
            Filter queues
          </label>
          <input
            id={searchId}
            type="search"
            value={query}
            placeholder="Filter by queue, broker or environment"
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
        <div className="toolbar-options">
          <label className="toggle">
            <input
              type="checkbox"
              checked={onlyProblems}
              onChange={(e) => setOnlyProblems(e.target.checked)}
            />
            Only problems
          </label>
        </div>
      </div>
      <p className="muted result-count" role="status">
        {filtering ? `Showing ${shown.length} of ${rows.length} queues` : `${rows.length} queues`}
      </p>
      {filtering && shown.length === 0 ? (
        <p className="empty">
          {onlyProblems && query.trim() === "" ? "No problems: every queue is up." : "No queue matches."}
        </p>
      ) : (
        <table className="queue-table" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Queue</th>
              <th scope="col">Movement</th>
              <th scope="col" className="num">
                Depth
              </th>
              <th scope="col" className="num">
                Consumers
              </th>
              <th scope="col" className="num">
                <abbr title="Messages published per second">In/s</abbr>
              </th>
              <th scope="col" className="num">
                <abbr title="Messages delivered per second">Out/s</abbr>
              </th>
              <th scope="col">Last hour</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <QueueLine key={row.check.id} row={row} />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
});

// Memoised: a live result replaces one row object; every other row keeps its identity and
// is skipped.
const QueueLine = memo(function QueueLine({ row }: { row: QueueRow }) {
  const { check } = row;
  const q = queueOf(check);
  const names = queueNames(check);
  const vhost = q && q.queue.vhost !== "/" ? q.queue.vhost : null;
  return (
    <tr className={`queue-row row-${check.status}`} data-queue-id={check.id}>
      <td className="q-status">
        <StatusBadge status={check.status} />
      </td>
      <th scope="row" className="q-name">
        <a href={checkHref(check.id)} data-check-id={check.id}>
          {names.queue}
        </a>
        {q?.queue.dead_letter && <span className="q-tag">dead letters</span>}
        <span className="q-broker">
          {names.check ?? "Whole broker"}
          {vhost !== null && <> · vhost {vhost}</>}
        </span>
        {q === null && (
          <span className="q-message" title={check.message || undefined}>
            {check.message}
          </span>
        )}
      </th>
      <td className="q-movement">{q ? <MovementBadge movement={q.movement} /> : <NoFigure />}</td>
      <td className="num q-depth" data-label="Depth">
        {q ? (
          <>
            {formatCount(q.queue.depth)}
            <span className="q-split">
              {formatCount(q.queue.ready)} ready / {formatCount(q.queue.unacked)} unacked
            </span>
          </>
        ) : (
          <NoFigure />
        )}
      </td>
      <td className="num q-consumers" data-label="Consumers">
        {q ? (
          <>
            {formatCount(q.queue.consumers)}
            {q.queue.consumers < q.thresholds.min_consumers && (
              <span className="q-split">min {formatCount(q.thresholds.min_consumers)}</span>
            )}
          </>
        ) : (
          <NoFigure />
        )}
      </td>
      <td className="num q-rate" data-label="In/s">
        {q ? formatRate(q.queue.publish_rate) : <NoFigure />}
      </td>
      <td className="num q-rate" data-label="Out/s">
        {q ? formatRate(q.queue.deliver_rate) : <NoFigure />}
      </td>
      <td className="q-spark">
        <Sparkline values={row.sparkline} />
      </td>
    </tr>
  );
});

function NoFigure() {
  return (
    <span className="muted">
      <span aria-hidden="true">—</span>
      <span className="sr-only">not known</span>
    </span>
  );
}

/** No RabbitMQ check yet: how to add one. */
function NoQueues() {
  const headingId = useId();
  return (
    <section className="first-run" aria-labelledby={headingId}>
      <h2 id={headingId}>No queues are watched yet</h2>
      <p>
        No queues are watched yet. Add a check of <code>type = &quot;rabbitmq&quot;</code> to the
        configuration file and every queue of that broker shows up here, with its depth, movement, consumers and rates.
      </p>
      <p>
        The keys are described in the configuration reference (<code>docs/config-reference.md</code>),
        under <code>type = &quot;rabbitmq&quot;</code>. For example:
      </p>
      <pre className="first-run-example">
        <code>{EXAMPLE}</code>
      </pre>
    </section>
  );
}
