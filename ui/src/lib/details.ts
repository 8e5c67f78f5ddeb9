// Readers for the free-form `details` object of a check result. The engine fills it per
// probe type, so every field is checked before use.

import type { BackupTime } from "../bindings/BackupTime";
import type { EnvironmentInfo } from "../bindings/EnvironmentInfo";
import type { Lifecycle } from "../bindings/Lifecycle";
import type { Movement } from "../bindings/Movement";
import type { PartState } from "../bindings/PartState";
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

const PART_STATES: readonly string[] = ["ok", "not-available", "failed", "skipped"];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

function readBackup(v: unknown): BackupTime | null {
  if (!isRecord(v)) return null;
  const finished = str(v.finished);
  const age = num(v.age_minutes);
  return finished === null || age === null ? null : { finished, age_minutes: age };
}

/**
 * An Epicor environment's inspection (`details` of an `epicor` result is the whole
 * `EnvironmentInfo`); null for a result that is not one (a timeout noted by the runner, a
 * credential that could not be read). As the engine does, a result with `parts` is one.
 */
export function readEpicor(details: Record<string, unknown>): EnvironmentInfo | null {
  if (!Array.isArray(details.parts)) return null;
  const id = str(details.id);
  const name = str(details.name);
  const status = toStatus(details.status);
  if (id === null || name === null) return null;
  const sql = isRecord(details.sql) ? details.sql : null;
  const db = sql && isRecord(sql.database) ? sql.database : null;
  return {
    id,
    name,
    environment: str(details.environment),
    url: str(details.url) ?? "",
    api: str(details.api) ?? "",
    company: str(details.company),
    status,
    message: str(details.message) ?? "",
    problems: strings(details.problems),
    warnings: strings(details.warnings),
    checked_at: str(details.checked_at) ?? "",
    latency_ms: num(details.latency_ms),
    version: str(details.version),
    patch_level: str(details.patch_level),
    framework_patch: str(details.framework_patch),
    health: records(details.health).flatMap((h) => {
      const n = str(h.name);
      return n === null ? [] : [{ name: n, ok: h.ok === true, detail: str(h.detail) }];
    }),
    companies: records(details.companies).flatMap((c) => {
      const cid = str(c.id);
      return cid === null ? [] : [{ id: cid, name: str(c.name) ?? "" }];
    }),
    solutions: records(details.solutions).flatMap((x) => {
      const sid = str(x.solution_id);
      if (sid === null) return [];
      return [
        {
          company: str(x.company) ?? "",
          solution_id: sid,
          description: str(x.description) ?? "",
          file_name: str(x.file_name) ?? "",
          build_iteration: num(x.build_iteration),
          reference: str(x.reference) ?? "",
          changed_by: str(x.changed_by) ?? "",
          changed_on: str(x.changed_on),
        },
      ];
    }),
    parts: records(details.parts).flatMap((p) => {
      const part = str(p.part);
      const state = str(p.state);
      if (part === null || state === null || !PART_STATES.includes(state)) return [];
      return [{ part, state: state as PartState, message: str(p.message) }];
    }),
    sql:
      sql && db
        ? {
            server: str(sql.server) ?? "",
            product_version: str(sql.product_version) ?? "",
            product: str(sql.product) ?? "SQL Server",
            major_version: num(sql.major_version),
            product_level: str(sql.product_level) ?? "",
            update_level: str(sql.update_level),
            update_reference: str(sql.update_reference),
            edition: str(sql.edition) ?? "",
            database: {
              name: str(db.name) ?? "",
              compatibility_level: num(db.compatibility_level),
              server_compatibility_level: num(db.server_compatibility_level),
              state: str(db.state) ?? "",
              recovery_model: str(db.recovery_model) ?? "",
              data_mb: num(db.data_mb),
              log_mb: num(db.log_mb),
              last_full_backup: readBackup(db.last_full_backup),
              last_differential_backup: readBackup(db.last_differential_backup),
              last_log_backup: readBackup(db.last_log_backup),
              backup_history_error: str(db.backup_history_error),
            },
            lifecycle: readLifecycle(sql.lifecycle),
          }
        : null,
  };
}

function readLifecycle(v: unknown): Lifecycle | null {
  if (!isRecord(v)) return null;
  const product = str(v.product);
  const mainstream = str(v.mainstream_end);
  const extended = str(v.extended_end);
  return product === null || mainstream === null || extended === null
    ? null
    : { product, mainstream_end: mainstream, extended_end: extended };
}
