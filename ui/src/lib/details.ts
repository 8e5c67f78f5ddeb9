// Readers for the free-form `details` object of a check result. The engine fills it per
// probe type, so every field is checked before use.

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
