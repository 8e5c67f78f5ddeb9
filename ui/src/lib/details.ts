// Readers for the free-form `details` object of a check result. The engine fills it per
// probe type, so every field is checked before use.

import type { Movement } from "../bindings/Movement";
import type { QueueDetails } from "../bindings/QueueDetails";
import type { Status } from "../bindings/Status";
import { STATUS_RANK } from "./status";

export interface HealthEntry {
  name: string;
  status: Status;
  duration_ms: number | null;
  description: string | null;
  exception: string | null;
}

export interface TlsInfo {
  days_left: number;
  not_after: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** ASP.NET health report entries, when the endpoint returned a JSON report. */
export function readEntries(details: Record<string, unknown>): HealthEntry[] | null {
  const entries = details.entries;
  if (!Array.isArray(entries)) return null;
  return entries.filter(isRecord).map((e) => ({
    name: str(e.name) ?? "",
    status: toStatus(e.status),
    duration_ms: num(e.duration_ms),
    description: str(e.description),
    exception: str(e.exception),
  }));
}

export function readTls(details: Record<string, unknown>): TlsInfo | null {
  const tls = details.tls;
  if (!isRecord(tls)) return null;
  const days = num(tls.days_left);
  return days === null ? null : { days_left: days, not_after: str(tls.not_after) };
}

export function readWarnings(details: Record<string, unknown>): string[] {
  const w = details.warnings;
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === "string") : [];
}

function toStatus(v: unknown): Status {
  return typeof v === "string" && v in STATUS_RANK ? (v as Status) : "unknown";
}

/** Why a check could not read its credential (`details.credential`). */
export type CredentialProblem = "missing" | "locked" | "unavailable" | "invalid";

export interface CredentialIssue {
  name: string;
  problem: CredentialProblem;
}

const PROBLEMS: readonly string[] = ["missing", "locked", "unavailable", "invalid"];

/** The credential a check could not read, when that is why it has no real result. */
export function readCredential(details: Record<string, unknown>): CredentialIssue | null {
  const c = details.credential;
  if (!isRecord(c)) return null;
  const name = str(c.name);
  const problem = str(c.problem);
  if (name === null || problem === null || !PROBLEMS.includes(problem)) return null;
  return { name, problem: problem as CredentialProblem };
}

const MOVEMENTS: readonly string[] = ["idle", "moving", "growing", "stalled", "no-consumers"];

/**
 * A queue's figures, movement and thresholds, when the result is a queue's (not the broker's
 * own result while it cannot be asked). Counters the broker left out read as 0.
 */
export function readQueue(details: Record<string, unknown>): QueueDetails | null {
  const q = details.queue;
  const movement = str(details.movement);
  if (!isRecord(q) || movement === null || !MOVEMENTS.includes(movement)) return null;
  const name = str(q.name);
  const depth = num(q.depth);
  if (name === null || depth === null) return null;
  const t = isRecord(details.thresholds) ? details.thresholds : {};
  return {
    queue: {
      name,
      vhost: str(q.vhost) ?? "/",
      state: str(q.state),
      type: str(q.type),
      depth,
      ready: num(q.ready) ?? 0,
      unacked: num(q.unacked) ?? 0,
      consumers: num(q.consumers) ?? 0,
      publish_rate: num(q.publish_rate) ?? 0,
      deliver_rate: num(q.deliver_rate) ?? 0,
      ack_rate: num(q.ack_rate) ?? 0,
      redeliver_rate: num(q.redeliver_rate) ?? 0,
      deliver_total: num(q.deliver_total),
      ack_total: num(q.ack_total),
      redeliver_total: num(q.redeliver_total),
      dead_letter: q.dead_letter === true,
    },
    movement: movement as Movement,
    thresholds: {
      max_depth: num(t.max_depth),
      stalled_after_s: num(t.stalled_after_s) ?? 0,
      min_consumers: num(t.min_consumers) ?? 0,
    },
    waiting_since: str(details.waiting_since),
    last_progress_at: str(details.last_progress_at),
    broker: str(details.broker) ?? "",
  };
}

export type BeatState = "fresh" | "late" | "stale" | "missing" | "unreadable" | "unparsable" | "future";

const BEAT_STATES: readonly string[] = [
  "fresh",
  "late",
  "stale",
  "missing",
  "unreadable",
  "unparsable",
  "future",
];

export interface HeartbeatInfo {
  state: BeatState;
  path: string | null;
  /** Where the time comes from: `mtime`, `iso8601`, `unix` or `format`. */
  source: string | null;
  max_age_s: number | null;
  warn_age_s: number | null;
  last_beat: string | null;
  age_s: number | null;
}

/** A heartbeat file's state and its last beat. */
export function readHeartbeat(details: Record<string, unknown>): HeartbeatInfo | null {
  const state = str(details.state);
  if (state === null || !BEAT_STATES.includes(state)) return null;
  return {
    state: state as BeatState,
    path: str(details.path),
    source: str(details.source),
    max_age_s: num(details.max_age_s),
    warn_age_s: num(details.warn_age_s),
    last_beat: str(details.last_beat),
    age_s: num(details.age_s),
  };
}

export type PushState = "waiting" | "on-time" | "late";

export interface PushInfo {
  state: PushState;
  period_s: number | null;
  grace_s: number | null;
  last_push_at: string | null;
  age_s: number | null;
  /** The status the job reported with its push. */
  pushed_status: Status | null;
  pushed_message: string | null;
}

/** A push check's last push and what it expects. */
export function readPush(details: Record<string, unknown>): PushInfo | null {
  const state = str(details.state);
  if (state !== "waiting" && state !== "on-time" && state !== "late") return null;
  const pushed = str(details.pushed_status);
  return {
    state,
    period_s: num(details.period_s),
    grace_s: num(details.grace_s),
    last_push_at: str(details.last_push_at),
    age_s: num(details.age_s),
    pushed_status: pushed !== null && pushed in STATUS_RANK ? (pushed as Status) : null,
    pushed_message: str(details.pushed_message),
  };
}

export interface PrometheusThresholds {
  degraded_above: number | null;
  down_above: number | null;
  degraded_below: number | null;
  down_below: number | null;
}

export interface PrometheusInfo {
  /** A number, or the text Prometheus sent for one that is not finite ("NaN", "+Inf"). */
  value: number | string | null;
  labels: [string, string][];
  sampled_at: string | null;
  query: string | null;
  thresholds: PrometheusThresholds;
}

/** A Prometheus series' sample and the thresholds it was judged by. */
export function readPrometheus(details: Record<string, unknown>): PrometheusInfo | null {
  const query = str(details.query);
  if (query === null) return null;
  const value = num(details.value) ?? str(details.value);
  const labels = isRecord(details.labels)
    ? Object.entries(details.labels).flatMap(([k, v]): [string, string][] =>
        typeof v === "string" ? [[k, v]] : [],
      )
    : [];
  const t = isRecord(details.thresholds) ? details.thresholds : {};
  return {
    value,
    labels,
    sampled_at: str(details.sampled_at),
    query,
    thresholds: {
      degraded_above: num(t.degraded_above),
      down_above: num(t.down_above),
      degraded_below: num(t.degraded_below),
      down_below: num(t.down_below),
    },
  };
}
