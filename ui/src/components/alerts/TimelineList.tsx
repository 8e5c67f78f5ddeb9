import type { ReactNode } from "react";
import type { TimelineEntry } from "../../bindings/TimelineEntry";
import { TIMELINE_KIND_LABEL } from "../../lib/alerts";
import { formatDateTime } from "../../lib/format";
import { checkHref } from "../../lib/route";
import type { LiveTimeline } from "../../lib/useLiveAlerts";
import { StatusBadge } from "../StatusBadge";

export interface TimelineListProps {
  timeline: LiveTimeline;
  /** Names of results, for the links; an unknown result shows its id. */
  names?: ReadonlyMap<string, string>;
  /** The page's own result: its entries need no link to where the reader already is. */
  current?: string;
  /** What the list is of, for its accessible name: "Timeline of Payments API". */
  label: string;
  empty: string;
}

/** Timeline entries, newest first, with an "Older" button while there are more. */
export function TimelineList({ timeline, names, current, label, empty }: TimelineListProps) {
  const { entries, error } = timeline;
  if (entries === null) {
    return error ? (
      <p className="banner banner-error" role="alert">
        Cannot load the timeline: {error.message}
      </p>
    ) : (
      <p className="muted">Loading the timeline…</p>
    );
  }
  return (
    <>
      {error && <p className="error-text">Could not refresh the timeline: {error.message}</p>}
      {entries.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ol className="timeline" aria-label={label}>
          {entries.map((e, i) => (
            <TimelineItem key={`${e.at}-${e.kind}-${e.series ?? ""}-${i}`} entry={e} names={names} current={current} />
          ))}
        </ol>
      )}
      {timeline.hasOlder && (
        <div className="timeline-more">
          <button
            type="button"
            aria-disabled={timeline.loadingOlder || undefined}
            onClick={timeline.loadOlder}
          >
            {timeline.loadingOlder ? "Loading…" : "Older"} <span className="sr-only">timeline entries</span>
          </button>
          {timeline.olderError && (
            <p className="error-text" role="alert">
              Cannot load older entries: {timeline.olderError.message}
            </p>
          )}
        </div>
      )}
    </>
  );
}

function TimelineItem({
  entry: e,
  names,
  current,
}: {
  entry: TimelineEntry;
  names: ReadonlyMap<string, string> | undefined;
  current: string | undefined;
}) {
  return (
    <li className={`timeline-entry timeline-${e.kind}`}>
      <time dateTime={e.at}>{formatDateTime(e.at)}</time>
      <span className="timeline-kind">
        {TIMELINE_KIND_LABEL[e.kind]}
        {e.status && (
          <>
            {" "}
            <span className="sr-only">to</span> <StatusBadge status={e.status} />
          </>
        )}
      </span>
      <span className="timeline-what">
        {e.series !== null && e.series !== current && (
          <>
            <a href={checkHref(e.series)} className="timeline-result">
              {names?.get(e.series) ?? e.series}
            </a>
            {": "}
          </>
        )}
        <span className="timeline-message">{withCode(e.message)}</span>
        {e.actor && <span className="timeline-actor"> by {e.actor}</span>}
      </span>
    </li>
  );
}

/** The engine marks ids in its messages as `code`, as in Markdown: shown as code here. */
export function withCode(message: string): ReactNode[] {
  const parts = message.split("`");
  // An unpaired backtick marks nothing.
  if (parts.length % 2 === 0) return [message];
  return parts.map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
