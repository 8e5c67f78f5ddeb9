import { useEffect, useState, type ReactNode } from "react";
import { toBackendError, type Api, type BackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { FigureHistory } from "../bindings/FigureHistory";
import type { FigurePoint } from "../bindings/FigurePoint";
import type { FigureWindow } from "../bindings/FigureWindow";
import { readHeartbeat, readPrometheus, readQueue } from "../lib/details";
import { formatCount, formatNumber, formatRate, formatSpan, parseTime } from "../lib/format";
import { FigureChart, niceCount, niceDuration, type ChartThreshold } from "./FigureChart";

const HOUR_MS = 3_600_000;

export const FIGURE_WINDOWS: readonly { id: FigureWindow; label: string; long: string; ms: number }[] = [
  { id: "1h", label: "1 h", long: "last hour", ms: HOUR_MS },
  { id: "6h", label: "6 h", long: "last 6 hours", ms: 6 * HOUR_MS },
  { id: "24h", label: "24 h", long: "last 24 hours", ms: 24 * HOUR_MS },
  { id: "7d", label: "7 d", long: "last 7 days", ms: 7 * 24 * HOUR_MS },
  { id: "30d", label: "30 d", long: "last 30 days", ms: 30 * 24 * HOUR_MS },
];

/** What the engine keeps figures of: a queue's depth and rates, a beat's age, a sampled value. */
export type FigureKind = "queue" | "heartbeat" | "prometheus";

const TITLES: Record<FigureKind, string> = {
  queue: "Depth and rates",
  heartbeat: "Heartbeat age",
  prometheus: "Value over time",
};

export function figureKind(check: CheckView): FigureKind | null {
  switch (check.type) {
    // The broker's own result (`CHECK`, while it cannot be asked) has no figures; its queues do.
    case "rabbitmq":
      return check.id.includes("/") ? "queue" : null;
    case "heartbeat-file":
      return "heartbeat";
    case "prometheus":
      return "prometheus";
    default:
      return null;
  }
}

type Loaded = { data: FigureHistory; at: number };

export interface CheckFiguresProps {
  client: Api;
  check: CheckView;
  kind: FigureKind;
}

/** The charts of a check's figures, with a choice of window. */
export function CheckFigures({ client, check, kind }: CheckFiguresProps) {
  const [windowId, setWindowId] = useState<FigureWindow>("6h");
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const win = FIGURE_WINDOWS.find((w) => w.id === windowId) ?? FIGURE_WINDOWS[1]!;
  const { id } = check;
  // Every result adds a point to the raw windows; buckets of 5 minutes hardly move, so the
  // longer windows are fetched once.
  const refresh = windowId === "1h" || windowId === "6h" ? check.checked_at : null;

  useEffect(() => {
    let cancelled = false;
    client.figures(id, windowId).then(
      (data) => {
        if (cancelled) return;
        setLoaded({ data, at: Date.now() });
        setError(null);
      },
      (e: unknown) => {
        if (!cancelled) setError(toBackendError(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, id, windowId, refresh]);

  const title = TITLES[kind];
  const headingId = "figures-h";
  let body: ReactNode;
  if (loaded && loaded.data.id === id && loaded.data.window === windowId) {
    body = <Charts kind={kind} check={check} loaded={loaded} windowMs={win.ms} windowLabel={win.long} />;
  } else if (error) {
    body = (
      <p className="banner banner-error" role="alert">
        Cannot load the figures: {error.message}
      </p>
    );
  } else {
    body = (
      <p className="muted" role="status">
        Loading figures…
      </p>
    );
  }

  return (
    <section aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId}>{title}</h2>
        <div className="segmented" role="group" aria-label={`${title}: window`}>
          {FIGURE_WINDOWS.map((w) => (
            <button
              key={w.id}
              type="button"
              aria-pressed={w.id === windowId}
              aria-label={`Show ${title.toLowerCase()} for the ${w.long}`}
              onClick={() => setWindowId(w.id)}
            >
              {w.label}
            </button>
          ))}
        </div>
      </div>
      <div className="figure-charts">{body}</div>
    </section>
  );
}

interface ChartsProps {
  kind: FigureKind;
  check: CheckView;
  loaded: Loaded;
  windowMs: number;
  windowLabel: string;
}

function Charts({ kind, check, loaded, windowMs, windowLabel }: ChartsProps) {
  const { points, bucket_seconds: bucketSeconds } = loaded.data;
  const sorted = points
    .map((p) => ({ t: parseTime(p.t), p }))
    .filter((s): s is { t: number; p: FigurePoint } => s.t !== null)
    .sort((a, b) => a.t - b.t);
  const times = sorted.map((s) => s.t);
  const pts = sorted.map((s) => s.p);
  const bucketMs = bucketSeconds * 1000;
  const bucketed = bucketSeconds > 0;
  // Single results come once per interval: a gap of a few intervals is missing results.
  const gapMs = bucketed ? bucketMs * 1.5 : Math.max(check.interval_s * 1000 * 2.5, 60_000);
  const per = bucketed ? `, average per ${formatSpan(bucketSeconds)}` : "";
  const common = {
    times,
    endMs: loaded.at,
    windowMs,
    bucketMs,
    gapMs,
    emptyText: "No figures in this window.",
  };
  const column = (pick: (p: FigurePoint) => number | null) => pts.map(pick);
  // Buckets are averages: their highest value shows the spikes an average hides.
  const highest = (label: string) => (bucketed ? [{ label, values: column((p) => p.value_max) }] : []);

  if (kind === "queue") {
    const maxDepth = readQueue(check.details)?.thresholds.max_depth ?? null;
    const thresholds: ChartThreshold[] =
      maxDepth === null
        ? []
        : [{ label: `max depth ${formatCount(maxDepth)}`, value: maxDepth, tone: "limit" }];
    return (
      <>
        <FigureChart
          {...common}
          caption={`Messages in the queue${per}, ${windowLabel}`}
          series={[{ label: "Depth", values: column((p) => p.value) }, ...highest("Highest depth")]}
          thresholds={thresholds}
          format={bucketed ? formatNumber : formatCount}
          niceTop={(v) => Math.max(2, niceCount(v))}
        />
        <FigureChart
          {...common}
          caption={`Messages per second${per}, ${windowLabel}`}
          series={[
            { label: "In (published)", values: column((p) => p.in_rate) },
            { label: "Out (delivered)", values: column((p) => p.out_rate) },
            { label: "Acknowledged", values: column((p) => p.ack_rate) },
          ]}
          format={(v) => `${formatRate(v)}/s`}
        />
      </>
    );
  }

  if (kind === "heartbeat") {
    const beat = readHeartbeat(check.details);
    const thresholds: ChartThreshold[] = [];
    const warn = beat?.warn_age_s ?? null;
    const max = beat?.max_age_s ?? null;
    if (warn !== null)
      thresholds.push({ label: `warning age ${formatSpan(warn)}`, value: warn, tone: "warn" });
    if (max !== null) thresholds.push({ label: `max age ${formatSpan(max)}`, value: max, tone: "limit" });
    return (
      <FigureChart
        {...common}
        caption={`Age of the last beat${per}, ${windowLabel}`}
        series={[{ label: "Age", values: column((p) => p.value) }, ...highest("Oldest")]}
        thresholds={thresholds}
        format={formatSpan}
        niceTop={niceDuration}
      />
    );
  }

  const t = readPrometheus(check.details)?.thresholds;
  const thresholds: ChartThreshold[] = [];
  const add = (value: number | null | undefined, label: string, tone: ChartThreshold["tone"]) => {
    if (value === null || value === undefined) return;
    thresholds.push({ label: `${label} ${formatNumber(value)}`, value, tone });
  };
  add(t?.down_above, "down above", "limit");
  add(t?.degraded_above, "degraded above", "warn");
  add(t?.degraded_below, "degraded below", "warn");
  add(t?.down_below, "down below", "limit");
  return (
    <FigureChart
      {...common}
      caption={`Sampled value${per}, ${windowLabel}`}
      series={[{ label: "Value", values: column((p) => p.value) }, ...highest("Highest")]}
      thresholds={thresholds}
      format={formatNumber}
    />
  );
}
