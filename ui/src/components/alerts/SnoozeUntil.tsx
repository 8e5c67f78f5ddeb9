import { useTicking } from "../../lib/clock";
import { formatDateTime, formatSpan } from "../../lib/format";
import { isoFromMs } from "../../lib/alerts";

/** "until 1 Jun 2025, 16:00:00 (4 h left)", counting down. */
export function SnoozeUntil({ untilMs }: { untilMs: number }) {
  const left = useTicking((now) => formatSpan((untilMs - now) / 1000));
  const iso = isoFromMs(untilMs);
  return (
    <>
      until <time dateTime={iso}>{formatDateTime(iso)}</time> ({left} left)
    </>
  );
}
