import { useTicking } from "../lib/clock";
import { formatDateTime, formatSpan, parseTime } from "../lib/format";

const agoText = (span: string) => `${span} ago`;

/**
 * Time elapsed since `iso`, ticking every second ("12 s ago" by default); the full en-GB
 * date is the tooltip.
 */
export function Ago({
  iso,
  text = agoText,
  empty = "—",
}: {
  iso: string | null;
  text?: (span: string) => string;
  empty?: string;
}) {
  const t = parseTime(iso);
  const span = useTicking((now) => (t === null ? null : formatSpan((now - t) / 1000)));
  if (iso === null || span === null) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {text(span)}
    </time>
  );
}
