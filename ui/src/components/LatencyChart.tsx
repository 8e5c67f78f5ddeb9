import type { HistoryPoint } from "../bindings/HistoryPoint";
import { formatAxisTime, formatLatency, formatSpan, parseTime } from "../lib/format";

const W = 600;
const H = 140;

export interface LatencyChartProps {
  points: readonly HistoryPoint[];
  /** The window ends here (ms); it starts `windowMs` earlier. */
  endMs: number;
  windowMs: number;
  bucketSeconds: number;
  /** e.g. "last 24 hours" */
  windowLabel: string;
}

/** Rounds up to 1, 2 or 5 times a power of ten. */
export function niceCeil(v: number): number {
  if (v <= 2) return 2;
  const p = 10 ** Math.floor(Math.log10(v));
  // Below 10 ms, only tops whose half is a whole millisecond: the axis shows the top and its
  // half, and "5 ms / 3 ms" or "1 ms / 1 ms" would mislead.
  const steps = p >= 10 ? [1, 2, 5, 10] : [2, 4, 10];
  for (const m of steps) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Average latency per bucket as a line; gaps where a bucket had no latency. */
export function LatencyChart({ points, endMs, windowMs, bucketSeconds, windowLabel }: LatencyChartProps) {
  const startMs = endMs - windowMs;
  const bucketMs = bucketSeconds * 1000;
  const samples = points
    .map((p) => ({ t: parseTime(p.t), v: p.latency_avg_ms }))
    .filter((s): s is { t: number; v: number | null } => s.t !== null && s.t + bucketMs >= startMs)
    .sort((a, b) => a.t - b.t);
  const values = samples.flatMap((s) => (s.v === null ? [] : [s.v]));
  const caption = `Average latency per ${formatSpan(bucketSeconds)} bucket, ${windowLabel}`;

  if (values.length === 0) {
    return (
      <figure className="chart">
        <figcaption>{caption}</figcaption>
        <p className="muted chart-empty">No latency data in this window.</p>
      </figure>
    );
  }

  const top = niceCeil(Math.max(...values) * 1.1);
  const x = (t: number) => (((t + bucketMs / 2 - startMs) / (endMs - startMs)) * W).toFixed(1);
  const y = (v: number) => (H - (v / top) * H).toFixed(1);

  const segments: { t: number; v: number }[][] = [];
  let prev: number | null = null;
  for (const s of samples) {
    if (s.v === null) {
      prev = null;
      continue;
    }
    const last = segments[segments.length - 1];
    if (prev === null || last === undefined || s.t - prev > bucketMs * 1.5)
      segments.push([{ t: s.t, v: s.v }]);
    else last.push({ t: s.t, v: s.v });
    prev = s.t;
  }

  const min = Math.min(...values);
  const max = Math.max(...values);
  const summary = `${caption}: from ${formatLatency(min)} to ${formatLatency(max)}.`;

  return (
    <figure className="chart">
      <figcaption>{caption}</figcaption>
      <div className="chart-body">
        <div className="chart-y" aria-hidden="true">
          <span>{formatLatency(top)}</span>
          <span>{formatLatency(top / 2)}</span>
          <span>0</span>
        </div>
        <svg
          className="chart-svg"
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={summary}
        >
          {[0, 0.5, 1].map((f) => (
            <line
              key={f}
              className="chart-grid"
              x1="0"
              x2={W}
              y1={H * f}
              y2={H * f}
              vectorEffect="non-scaling-stroke"
            />
          ))}
          {segments.map((seg) =>
            seg.length === 1 ? (
              <line
                key={seg[0]?.t}
                className="chart-line"
                x1={x(seg[0]?.t ?? 0)}
                x2={x(seg[0]?.t ?? 0)}
                y1={y(seg[0]?.v ?? 0)}
                y2={y(seg[0]?.v ?? 0)}
                strokeLinecap="round"
                vectorEffect="non-scaling-stroke"
              />
            ) : (
              <polyline
                key={seg[0]?.t}
                className="chart-line"
                points={seg.map((p) => `${x(p.t)},${y(p.v)}`).join(" ")}
                vectorEffect="non-scaling-stroke"
              />
            ),
          )}
        </svg>
      </div>
      <div className="chart-x" aria-hidden="true">
        <span>{formatAxisTime(startMs, windowMs)}</span>
        <span>{formatAxisTime(startMs + windowMs / 2, windowMs)}</span>
        <span>{formatAxisTime(endMs, windowMs)}</span>
      </div>
    </figure>
  );
}
