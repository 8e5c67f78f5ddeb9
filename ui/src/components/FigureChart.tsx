import { formatAxisTime } from "../lib/format";

const W = 600;
const H = 140;

export interface ChartSeries {
  label: string;
  /** One value per entry of `times`; null leaves a gap. */
  values: readonly (number | null)[];
}

export interface ChartThreshold {
  /** e.g. "max depth 1,000" */
  label: string;
  value: number;
  /** `warn` where the status turns degraded, `limit` where it turns down. */
  tone: "warn" | "limit";
}

export interface FigureChartProps {
  /** e.g. "Messages in the queue, last 6 hours" */
  caption: string;
  /** Times of the points (ms), oldest first. */
  times: readonly number[];
  series: readonly ChartSeries[];
  thresholds?: readonly ChartThreshold[];
  /** The window ends here (ms); it starts `windowMs` earlier. */
  endMs: number;
  windowMs: number;
  /** Each point stands for a bucket this long (ms), drawn at its middle; 0 for single results. */
  bucketMs: number;
  /** Points further apart than this are not joined: the line breaks where results are missing. */
  gapMs: number;
  format: (v: number) => string;
  /** The top of the scale for a highest value, a round number in the values' unit. */
  niceTop?: (v: number) => number;
  emptyText: string;
}

/** 1, 2, 4, 6 or 8 times a power of ten: tops whose half is round too. */
export function niceCount(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  // toPrecision: 6 × 0.1 is 0.6000000000000001 in floating point.
  for (const m of [1, 2, 4, 6, 8]) if (m * p >= v) return Number((m * p).toPrecision(12));
  return Number((10 * p).toPrecision(12));
}

const NICE_SECONDS = [10, 20, 60, 120, 240, 600, 1200, 1800, 3600, 7200, 14_400, 21_600, 43_200, 86_400];

/** A round span of seconds (a minute, 10 minutes, an hour, a day, …) at least `v`. */
export function niceDuration(v: number): number {
  for (const s of NICE_SECONDS) if (s >= v) return s;
  let top = 2 * 86_400;
  while (top < v) top *= 2;
  return top;
}

/**
 * Figures over a window as lines, one per series, with dashed lines where thresholds lie.
 * A threshold far above (or below) the figures is named but left off the scale, so that it
 * does not flatten them.
 */
export function FigureChart({
  caption,
  times,
  series,
  thresholds = [],
  endMs,
  windowMs,
  bucketMs,
  gapMs,
  format,
  niceTop = niceCount,
  emptyText,
}: FigureChartProps) {
  const startMs = endMs - windowMs;
  const first = times.findIndex((t) => t + bucketMs >= startMs);
  const from = first < 0 ? times.length : first;
  const ranges = series.map((s) => {
    let min = Infinity;
    let max = -Infinity;
    for (let i = from; i < times.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { label: s.label, min, max };
  });
  const lo = Math.min(...ranges.map((r) => r.min));
  const hi = Math.max(...ranges.map((r) => r.max));

  if (hi === -Infinity) {
    return (
      <figure className="chart">
        <figcaption>{caption}</figcaption>
        <p className="muted chart-empty">{emptyText}</p>
      </figure>
    );
  }

  const span = hi - lo;
  const inScale = (t: ChartThreshold) => span === 0 || (t.value <= hi + 4 * span && t.value >= lo - 4 * span);
  const scaled = thresholds.filter(inScale);
  const off = thresholds.filter((t) => !inScale(t));
  const { top, bottom } = scale(
    Math.min(0, lo, ...scaled.map((t) => t.value)),
    Math.max(0, hi, ...scaled.map((t) => t.value)),
    niceTop,
  );

  const x = (t: number) => (((t + bucketMs / 2 - startMs) / windowMs) * W).toFixed(1);
  const yOf = (v: number) => H - ((v - bottom) / (top - bottom)) * H;
  const y = (v: number) => yOf(v).toFixed(1);

  const paths = series.map((s) => {
    let d = "";
    let prev: number | null = null;
    for (let i = from; i < times.length; i++) {
      const v = s.values[i];
      const t = times[i];
      if (v === null || v === undefined || t === undefined) {
        prev = null;
        continue;
      }
      // A lone point is a dot (a zero-length line with round caps).
      const joined = prev !== null && t - prev <= gapMs;
      d += joined ? `L${x(t)} ${y(v)}` : `M${x(t)} ${y(v)}h0`;
      prev = t;
    }
    return d;
  });

  const described = ranges
    .filter((r) => r.max !== -Infinity)
    .map((r) =>
      r.min === r.max
        ? `${r.label} ${format(r.min)}`
        : `${r.label} from ${format(r.min)} to ${format(r.max)}`,
    );
  const lines = [
    ...scaled.map((t) => t.label),
    ...off.map((t) => `${t.label} (${t.value > hi ? "above" : "below"} the chart)`),
  ];
  const summary =
    `${caption}: ${described.join("; ")}.` + (lines.length > 0 ? ` Lines: ${lines.join("; ")}.` : "");

  return (
    <figure className="chart">
      <figcaption>{caption}</figcaption>
      <div className="chart-body">
        <div className="chart-y" aria-hidden="true">
          <span>{format(top)}</span>
          <span>{format((top + bottom) / 2)}</span>
          <span>{format(bottom)}</span>
        </div>
        <div className="chart-plot">
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
            {bottom < 0 && (
              <line
                className="chart-grid chart-zero"
                x1="0"
                x2={W}
                y1={y(0)}
                y2={y(0)}
                vectorEffect="non-scaling-stroke"
              />
            )}
            {scaled.map((t) => (
              <line
                key={t.label}
                className={`chart-threshold chart-threshold-${t.tone}`}
                x1="0"
                x2={W}
                y1={y(t.value)}
                y2={y(t.value)}
                vectorEffect="non-scaling-stroke"
              />
            ))}
            {paths.map((d, i) => (
              <path
                key={series[i]?.label}
                className={`chart-line chart-series-${i}`}
                d={d}
                vectorEffect="non-scaling-stroke"
              />
            ))}
          </svg>
          {scaled.map((t) => {
            const at = (yOf(t.value) / H) * 100;
            return (
              <span
                key={t.label}
                className={`chart-threshold-label chart-threshold-${t.tone}`}
                // Above its line, or below it when the line is at the very top.
                style={at < 15 ? { top: `${at}%` } : { bottom: `${100 - at}%` }}
                aria-hidden="true"
              >
                {t.label}
              </span>
            );
          })}
        </div>
      </div>
      <div className="chart-x" aria-hidden="true">
        <span>{formatAxisTime(startMs, windowMs)}</span>
        <span>{formatAxisTime(startMs + windowMs / 2, windowMs)}</span>
        <span>{formatAxisTime(endMs, windowMs)}</span>
      </div>
      {(series.length > 1 || thresholds.length > 0) && (
        <ul className="chart-legend" aria-hidden="true">
          {series.length > 1 &&
            series.map((s, i) => (
              <li key={s.label}>
                <Swatch className={`chart-line chart-series-${i}`} />
                {s.label}
              </li>
            ))}
          {thresholds.map((t) => (
            <li key={t.label}>
              <Swatch className={`chart-threshold chart-threshold-${t.tone}`} />
              {t.label}
              {off.includes(t) && (
                <span className="muted"> ({t.value > hi ? "above" : "below"} the chart)</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

/**
 * From 0 to a round top. With values below 0, four round quarters that take in the lowest
 * and the highest, so that the middle of the axis is a round number too.
 */
function scale(low: number, high: number, niceTop: (v: number) => number): { top: number; bottom: number } {
  if (low >= 0) return { top: niceTop(high * 1.1), bottom: 0 };
  const margin = (high - low) * 0.05;
  let quarter = niceTop((high - low + 2 * margin) / 4);
  for (;;) {
    const bottom = Math.floor((low - margin) / quarter) * quarter;
    if (bottom + 4 * quarter >= high) return { top: bottom + 4 * quarter, bottom };
    quarter = niceTop(quarter * 1.001);
  }
}

function Swatch({ className }: { className: string }) {
  return (
    <svg className="chart-swatch" viewBox="0 0 24 8" width="24" height="8">
      <line className={className} x1="2" x2="22" y1="4" y2="4" />
    </svg>
  );
}
