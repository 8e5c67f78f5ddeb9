// Display formatting. Dates are en-GB in the viewer's time zone.

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
const clockTime = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
const monthYear = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric" });
const percent = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });

export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** "25 Nov 2025, 14:03:07" */
export function formatDateTime(iso: string | null | undefined): string {
  const t = parseTime(iso);
  return t === null ? "—" : dateTime.format(t);
}

/** "14:03:07" */
export function formatClockTime(ms: number): string {
  return clockTime.format(ms);
}

/** Axis label for a chart spanning `spanMs`. */
export function formatAxisTime(ms: number, spanMs: number): string {
  if (spanMs <= 2 * 86_400_000) return timeOnly.format(ms);
  if (spanMs <= 60 * 86_400_000) return dayMonth.format(ms);
  return monthYear.format(ms);
}

/** A span of time, coarse: "42 s", "5 min", "3 h", "12 d". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

export function formatAgo(iso: string | null | undefined, nowMs: number): string | null {
  const t = parseTime(iso);
  return t === null ? null : `${formatSpan((nowMs - t) / 1000)} ago`;
}

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${decimal.format(ms / 1000)} s`;
}

/** Uptime ratio (0…1) as a percentage, rounded down so 99.999 % never shows as 100 %. */
export function formatUptime(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "—";
  return percent.format(Math.floor(ratio * 10_000) / 10_000);
}
