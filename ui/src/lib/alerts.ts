// What the console says about alerts: the words for timeline entries and deliveries, the order
// of open alerts, and which snooze holds a result back.

import type { Delivery } from "../bindings/Delivery";
import type { NotificationKind } from "../bindings/NotificationKind";
import type { OpenAlert } from "../bindings/OpenAlert";
import type { Snooze } from "../bindings/Snooze";
import type { TimelineEntryKind } from "../bindings/TimelineEntryKind";
import { formatClockTime, parseTime } from "./format";
import { STATUS_RANK } from "./status";

export const TIMELINE_KIND_LABEL: Record<TimelineEntryKind, string> = {
  transition: "Status changed",
  alert: "Alert queued",
  reminder: "Reminder",
  recovery: "Recovery",
  delivered: "Delivered",
  delivery_failed: "Delivery failed",
  gave_up: "Gave up",
  suppressed: "Held back",
  released: "Released",
  acknowledged: "Acknowledged",
  note: "Note",
  snoozed: "Snoozed",
  unsnoozed: "Snooze ended",
  test: "Channel test",
  closed: "Closed",
};

export const NOTIFICATION_KIND_LABEL: Record<NotificationKind, string> = {
  alert: "Alert",
  reminder: "Reminder",
  recovery: "Recovery",
  test: "Test",
};

/** The quick snoozes offered next to an alert. */
export const SNOOZE_CHOICES: readonly { minutes: number; label: string; long: string }[] = [
  { minutes: 60, label: "1 h", long: "1 hour" },
  { minutes: 240, label: "4 h", long: "4 hours" },
  { minutes: 480, label: "8 h", long: "8 hours" },
];

/** The check a result belongs to: `CHECK` of `CHECK/THING`, or the id itself. */
export function checkOf(series: string): string {
  const slash = series.indexOf("/");
  return slash < 0 ? series : series.slice(0, slash);
}

/**
 * Worst first, then the longest-open first: what needs attention soonest is at the top.
 * Ties keep the engine's order.
 */
export function sortOpenAlerts(open: readonly OpenAlert[]): OpenAlert[] {
  return [...open].sort(
    (a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status] || a.opened_at_ms - b.opened_at_ms,
  );
}

/** Newest first, whatever order the engine answered in. */
export function sortDeliveries(deliveries: readonly Delivery[]): Delivery[] {
  return [...deliveries].sort((a, b) => (parseTime(b.created_at) ?? 0) - (parseTime(a.created_at) ?? 0));
}

/**
 * The snooze that holds back `series`: its own, else its check's (a snooze of a check covers
 * every result of it), as the engine decides.
 */
export function snoozeOf(series: string, snoozes: readonly Snooze[]): Snooze | null {
  const check = checkOf(series);
  return snoozes.find((s) => s.series === series) ?? snoozes.find((s) => s.series === check) ?? null;
}

/**
 * Where an open alert stands, in words: held back (and why), acknowledged (by whom, with the
 * note), or whether support has been told yet. Held back and acknowledged can both be true.
 */
export function describeAlertState(alert: OpenAlert): string[] {
  const parts: string[] = [];
  if (alert.suppressed_by) parts.push(`held back: ${alert.suppressed_by}`);
  if (alert.acked_by !== null || alert.acked_at_ms !== null) {
    const who = alert.acked_by ?? "someone";
    parts.push(alert.ack_note ? `acknowledged by ${who}: ${alert.ack_note}` : `acknowledged by ${who}`);
  }
  if (parts.length === 0) parts.push(alert.notified_at_ms !== null ? "notified" : "not notified yet");
  return parts;
}

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Sent at 14:03:07", "Pending: 2 attempts, next at 14:05:00", "Gave up after 8 attempts". */
export function describeDelivery(d: Delivery): string {
  switch (d.state) {
    case "sent": {
      const at = parseTime(d.sent_at);
      const when = at === null ? "Sent" : `Sent at ${formatClockTime(at)}`;
      return d.attempts > 1 ? `${when}, after ${plural(d.attempts, "attempt", "attempts")}` : when;
    }
    case "pending": {
      const next = parseTime(d.next_attempt_at);
      const tried = d.attempts === 0 ? "not tried yet" : plural(d.attempts, "attempt", "attempts");
      return next === null ? `Pending: ${tried}` : `Pending: ${tried}, next at ${formatClockTime(next)}`;
    }
    case "failed":
      return `Gave up after ${plural(d.attempts, "attempt", "attempts")}`;
  }
}

/** ms since the epoch as RFC 3339, for `<time>` and `Ago`. */
export function isoFromMs(ms: number): string {
  return new Date(ms).toISOString();
}
