// Display formatting. Dates are en-GB in the viewer's time zone.

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
const dateOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium" });
// A calendar day (`YYYY-MM-DD`) parses as midnight UTC: formatted in UTC, it stays that day.
const calendarDay = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeZone: "UTC" });
const clockTime = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const timeOnly = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dayMonth = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short" });
const monthYear = new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric" });
const percent = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 2 });
const whole = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
const rate = new Intl.NumberFormat("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const small = new Intl.NumberFormat("en-GB", { maximumSignificantDigits: 3 });

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

/** "25 Nov 2025" */
export function formatDate(iso: string | null | undefined): string {
  const t = parseTime(iso);
  return t === null ? "—" : dateOnly.format(t);
}

/** "14 Jan 2025" for `2025-01-14`, a day in no time zone (a support end date, say). */
export function formatCalendarDate(day: string | null | undefined): string {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return day || "—";
  const t = Date.parse(day);
  return Number.isNaN(t) ? day : calendarDay.format(t);
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

/** A count of messages or consumers: "1,234". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return whole.format(n);
}

/**
 * Messages per second, to a tenth so that a column of rates lines up: "12.5", "3.0"; none
 * is "0", and a trickle below a tenth "<0.1", not 0.
 */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined) return "—";
  if (perSecond === 0) return "0";
  if (perSecond > 0 && perSecond < 0.05) return "<0.1";
  return rate.format(perSecond);
}

/** A sampled value: two decimals, or three significant digits below 1 ("0.0012"). */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return Math.abs(v) >= 1 || v === 0 ? decimal.format(v) : small.format(v);
}
