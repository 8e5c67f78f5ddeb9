import { useNow } from "../lib/clock";
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
  const now = useNow();
  const t = parseTime(iso);
  if (iso === null || t === null) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {text(formatSpan((now - t) / 1000))}
    </time>
  );
}
