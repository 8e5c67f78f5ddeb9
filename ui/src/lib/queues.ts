// The Queues view: every queue of every broker in one list, trouble first. Built for
// hundreds of queues: what a row needs from its details is read once per result object.

import type { CheckView } from "../bindings/CheckView";
import type { Movement } from "../bindings/Movement";
import type { QueueDetails } from "../bindings/QueueDetails";
import type { QueueRow } from "../bindings/QueueRow";
import { readQueue } from "./details";
import { parseTime } from "./format";
import { isProblem, STATUS_RANK } from "./status";

export const MOVEMENT_LABEL: Record<Movement, string> = {
  idle: "Idle",
  moving: "Moving",
  growing: "Growing",
  stalled: "Stalled",
  "no-consumers": "No consumers",
};

/** What each movement means, in a sentence. */
export const MOVEMENT_MEANING: Record<Movement, string> = {
  idle: "Nothing is being published or delivered, or messages have only just started to wait.",
  moving: "Messages are being delivered.",
  growing: "The queue is getting deeper: more arrives than is taken off.",
  stalled: "Messages are waiting and nothing has been delivered or acknowledged for a while.",
  "no-consumers": "Messages are ready and no consumer is connected to take them.",
};

/** Within one status, the movements that need a look come first. */
const MOVEMENT_RANK: Record<Movement, number> = {
  stalled: 0,
  "no-consumers": 1,
  growing: 2,
  moving: 3,
  idle: 4,
};
/** A result without queue figures (the broker could not be asked) sorts after the queues. */
const NO_MOVEMENT_RANK = 5;

/** As many points as the server sends for a sparkline: an hour of results, thinned. */
export const SPARK_POINTS = 60;

const queues = new WeakMap<CheckView, QueueDetails | null>();

/** The queue figures of a result, read once per result object. */
export function queueOf(check: CheckView): QueueDetails | null {
  let q = queues.get(check);
  if (q === undefined) {
    q = readQueue(check.details);
    queues.set(check, q);
  }
  return q;
}

/** What follows `CHECK/` in a result id: the queue (or `VHOST/QUEUE`); null for the check's own result. */
function thing(id: string): string | null {
  const slash = id.indexOf("/");
  return slash < 0 ? null : id.slice(slash + 1);
}

export interface QueueNames {
  /** The queue's name, or the check's for the broker's own result. */
  queue: string;
  /** The check (broker) it belongs to; null for the broker's own result. */
  check: string | null;
}

/** The queue's name and its broker's, from a result named `CHECK NAME: QUEUE`. */
export function queueNames(check: CheckView): QueueNames {
  const rest = thing(check.id);
  if (rest === null) return { queue: check.name, check: null };
  const suffix = `: ${rest}`;
  const broker = check.name.endsWith(suffix)
    ? check.name.slice(0, -suffix.length)
    : check.id.slice(0, -rest.length - 1);
  return { queue: queueOf(check)?.queue.name ?? rest, check: broker };
}

const collator = new Intl.Collator("en-GB", { numeric: true });

function movementRank(check: CheckView): number {
  const q = queueOf(check);
  return q === null ? NO_MOVEMENT_RANK : MOVEMENT_RANK[q.movement];
}

/** Down, unknown, degraded, then up; within each, stalled and starved queues first, then the deepest. */
export function compareQueues(a: QueueRow, b: QueueRow): number {
  const status = STATUS_RANK[b.check.status] - STATUS_RANK[a.check.status];
  if (status !== 0) return status;
  const movement = movementRank(a.check) - movementRank(b.check);
  if (movement !== 0) return movement;
  const depth = (queueOf(b.check)?.queue.depth ?? -1) - (queueOf(a.check)?.queue.depth ?? -1);
  if (depth !== 0) return depth;
  return collator.compare(a.check.name, b.check.name);
}

export function sortQueues(rows: readonly QueueRow[]): QueueRow[] {
  return rows.slice().sort(compareQueues);
}

/** The part of the order a live result may change: status and movement, not depth. */
function group(check: CheckView): string {
  return `${check.status}/${queueOf(check)?.movement ?? ""}`;
}

export interface Merged {
  rows: QueueRow[];
  /** A result for a row the list does not have: the list should be fetched again. */
  missing: boolean;
}

/**
 * The rows with newer results put in place; older results are ignored. A row whose status or
 * movement changed moves to its place in the order; a mere change of depth does not (depths
 * change at every poll, and rows would shuffle under the pointer): the next fetch sorts them.
 * Returns the same array when nothing changed.
 */
export function mergeResults(rows: QueueRow[], results: Iterable<CheckView>): Merged {
  let next: QueueRow[] | null = null;
  let regroup = false;
  let missing = false;
  let index: Map<string, number> | null = null;
  for (const check of results) {
    index ??= new Map(rows.map((r, i) => [r.check.id, i]));
    const i = index.get(check.id);
    const row = i === undefined ? undefined : (next ?? rows)[i];
    if (i === undefined || row === undefined) {
      missing = true;
      continue;
    }
    const before = parseTime(row.check.checked_at);
    const after = parseTime(check.checked_at);
    if (before !== null && (after === null || after < before)) continue;
    // The server's sparkline is every result of the last hour, thinned; until the next fetch
    // replaces it, each newer result adds its depth.
    const depth = queueOf(check)?.queue.depth;
    const sparkline =
      depth !== undefined && (before === null || (after !== null && after > before))
        ? [...row.sparkline, depth].slice(-SPARK_POINTS)
        : row.sparkline;
    next ??= rows.slice();
    next[i] = { check, sparkline };
    if (group(row.check) !== group(check)) regroup = true;
  }
  if (next === null) return { rows, missing };
  return { rows: regroup ? sortQueues(next) : next, missing };
}

const texts = new WeakMap<CheckView, string>();

function searchText(check: CheckView): string {
  let text = texts.get(check);
  if (text === undefined) {
    const q = queueOf(check);
    text = [check.name, check.id, check.environment ?? "", q?.queue.vhost ?? "", q?.broker ?? ""]
      .join("\n")
      .toLowerCase();
    texts.set(check, text);
  }
  return text;
}

/**
 * The rows that match every word of `query` (queue, broker, id, vhost, broker URL or
 * environment) and, with `onlyProblems`, are not up. The same array when nothing is filtered.
 */
export function filterQueues(rows: QueueRow[], query: string, onlyProblems: boolean): QueueRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0 && !onlyProblems) return rows;
  return rows.filter((r) => {
    if (onlyProblems && !isProblem(r.check)) return false;
    const text = searchText(r.check);
    return words.every((w) => text.includes(w));
  });
}

export function countMovements(rows: readonly QueueRow[]): Record<Movement, number> {
  const counts: Record<Movement, number> = { idle: 0, moving: 0, growing: 0, stalled: 0, "no-consumers": 0 };
  for (const r of rows) {
    const q = queueOf(r.check);
    if (q !== null) counts[q.movement] += 1;
  }
  return counts;
}

/** "2 stalled, 1 no consumers, 4 growing": the movements that need a look, zeros left out. */
export function describeMovements(counts: Record<Movement, number>): string {
  return (["stalled", "no-consumers", "growing"] as const)
    .filter((m) => counts[m] > 0)
    .map((m) => `${counts[m]} ${MOVEMENT_LABEL[m].toLowerCase()}`)
    .join(", ");
}

const coord = (v: number) => String(Math.round(v * 10) / 10);

/**
 * The `d` of a sparkline `width` × `height`: the values spread evenly from left to right,
 * 0 at the bottom and the highest at the top, a pixel in from either edge so the stroke is
 * not cut. One value is a flat line; none is an empty path.
 */
export function sparklinePath(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const max = Math.max(0, ...values);
  const y = (v: number) => coord(height - 1 - (max > 0 ? (Math.max(0, v) / max) * (height - 2) : 0));
  if (values.length === 1) return `M0 ${y(values[0] ?? 0)}H${width}`;
  const step = width / (values.length - 1);
  return values.map((v, i) => `${i === 0 ? "M" : "L"}${coord(i * step)} ${y(v)}`).join("");
}
