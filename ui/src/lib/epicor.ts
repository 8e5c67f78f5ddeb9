// The Epicor environments in words: how each part of an inspection went, the cells of the
// side-by-side comparison (which of a drifting row's values stand out), and the SQL Server
// facts as a support engineer reads them.

import type { Comparison } from "../bindings/Comparison";
import type { EnvironmentInfo } from "../bindings/EnvironmentInfo";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { Event } from "../bindings/Event";
import type { FactRow } from "../bindings/FactRow";
import type { PartReport } from "../bindings/PartReport";
import type { SolutionRow } from "../bindings/SolutionRow";
import type { SqlFacts } from "../bindings/SqlFacts";

/** The parts of an inspection, as the engine names them. */
export type PartName = "sign-in" | "version" | "health" | "companies" | "solutions" | "sql";

/** What Epicor 10 answers for endpoints Kinetic added: a fact of the version, not a failure. */
export const NOT_AVAILABLE = "not available on this version";

/** How a part went; null when the inspection did not report it. */
export function partOf(env: EnvironmentInfo, part: PartName): PartReport | null {
  return env.parts.find((p) => p.part === part) ?? null;
}

/** What a part's facts give way to when they are not there. */
export interface PartNote {
  /** `failed` is a problem to show as one; `neutral` is just how things are. */
  tone: "neutral" | "failed";
  text: string;
}

/**
 * What to show instead of a part's facts, or null when they are there to show. `skipped` is
 * said of a part left out on purpose (no SQL Server configured), unless the engine says why.
 */
export function partNote(env: EnvironmentInfo, part: PartName, skipped = "not checked"): PartNote | null {
  const report = partOf(env, part);
  if (report === null) return env.parts.length === 0 ? { tone: "neutral", text: "not checked yet" } : null;
  switch (report.state) {
    case "ok":
      return null;
    case "not-available":
      return { tone: "neutral", text: NOT_AVAILABLE };
    case "failed":
      return { tone: "failed", text: report.message ?? "failed" };
    case "skipped":
      return { tone: "neutral", text: report.message ?? skipped };
  }
}

/** "App server" for `app server`. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The problems worth listing under the verdict: the verdict often is the first one. */
export function extraProblems(env: EnvironmentInfo): string[] {
  return env.problems.filter((p) => p !== env.message);
}

// ---------------------------------------------------------------------------------------------
// The comparison

export type CellKind = "value" | "unknown" | "missing" | "not-available";

export interface Cell {
  kind: CellKind;
  /** The value, for `value` cells. */
  text: string | null;
  /** This cell is one that makes its row drift. */
  drift: boolean;
}

/**
 * Which of a drifting row's values stand out: those other than the one most environments
 * share, or every known value when no single value is shared by more of them than any other.
 */
export function oddOnesOut(values: readonly (string | null)[]): boolean[] {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let common: string | null = null;
  let best = 0;
  let tied = false;
  for (const [v, n] of counts) {
    if (n > best) {
      common = v;
      best = n;
      tied = false;
    } else if (n === best) {
      tied = true;
    }
  }
  const shared = best >= 2 && !tied ? common : null;
  return values.map((v) => v !== null && v !== shared);
}

export function factCells(row: FactRow): Cell[] {
  const odd = row.drift ? oddOnesOut(row.values) : row.values.map(() => false);
  return row.values.map((v, i) =>
    v === null ? { kind: "unknown", text: null, drift: false } : { kind: "value", text: v, drift: odd[i] ?? false },
  );
}

/**
 * A solution's cell per column: what is installed, "missing" where the environment's list is
 * known and lacks it, and otherwise why the list is not known.
 */
export function solutionCells(
  row: SolutionRow,
  columns: readonly string[],
  environments: readonly EnvironmentInfo[],
): Cell[] {
  const odd = row.drift ? oddOnesOut(row.values) : row.values.map(() => false);
  return columns.map((id, i) => {
    const v = row.values[i] ?? null;
    if (v !== null) return { kind: "value", text: v, drift: odd[i] ?? false };
    if (row.missing_in.includes(id)) return { kind: "missing", text: null, drift: true };
    const env = environments.find((e) => e.id === id);
    const state = env ? partOf(env, "solutions")?.state : undefined;
    return { kind: state === "not-available" ? "not-available" : "unknown", text: null, drift: false };
  });
}

/** The rows worth a line: a fact no environment told is left out; `onlyDrift` keeps the differences. */
export function comparisonRows(comparison: Comparison, onlyDrift: boolean) {
  return {
    facts: comparison.facts.filter((f) => f.values.some((v) => v !== null) && (!onlyDrift || f.drift)),
    solutions: comparison.solutions.filter((s) => !onlyDrift || s.drift),
  };
}

/** How many rows (facts and solutions) differ between environments. */
export function countDrift(comparison: Comparison): number {
  return comparison.facts.filter((f) => f.drift).length + comparison.solutions.filter((s) => s.drift).length;
}

/** The CAB each solution was installed from, where one matches and the workflow is there to link to. */
export function cabsBySolution(page: EpicorPage): Map<string, string> {
  const cabs = new Map<string, string>();
  if (!page.cab_workflow) return cabs;
  for (const s of page.comparison.solutions) if (s.cab !== null) cabs.set(s.solution_id, s.cab);
  return cabs;
}

// ---------------------------------------------------------------------------------------------
// SQL Server

/** "SQL Server 2019 CU18", "SQL Server 2016 SP2 CU17": the service pack only when there is one. */
export function sqlProductLabel(sql: SqlFacts): string {
  const level = sql.product_level && sql.product_level !== "RTM" ? sql.product_level : null;
  return [sql.product, level, sql.update_level].filter(Boolean).join(" ");
}

const oneDecimal = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });

/** A size given in megabytes: "640 MB", "12.3 GB", "1.2 TB". */
export function formatMegabytes(mb: number | null): string {
  if (mb === null) return "—";
  if (mb < 1024) return `${Math.round(mb)} MB`;
  if (mb < 1024 * 1024) return `${oneDecimal.format(mb / 1024)} GB`;
  return `${oneDecimal.format(mb / (1024 * 1024))} TB`;
}

/**
 * When a backup finished, as an instant: the server writes its local time without a zone, but
 * says how old the backup was when the environment was checked.
 */
export function backupInstant(checkedAt: string, ageMinutes: number): string | null {
  const t = Date.parse(checkedAt);
  return Number.isNaN(t) ? null : new Date(t - ageMinutes * 60_000).toISOString();
}

/** The database runs at a lower compatibility level than its server would create it with. */
export function compatibilityBehind(sql: SqlFacts): boolean {
  const { compatibility_level: level, server_compatibility_level: server } = sql.database;
  return level !== null && server !== null && level < server;
}

/** A support end date (`YYYY-MM-DD`) has passed. */
export function hasEnded(day: string, nowMs: number): boolean {
  const t = Date.parse(day);
  return !Number.isNaN(t) && t < nowMs;
}

// ---------------------------------------------------------------------------------------------
// Live updates

/**
 * Whether an event may change the page. Every result of an Epicor check arrives as an event,
 * but the page is fetched again only when one says something new (another status or verdict):
 * reading the page also reads the CAB catalogue from Bitbucket.
 */
export function changesEpicorPage(event: Event, shown: EpicorPage | null): boolean {
  switch (event.kind) {
    case "result": {
      // Before the first answer, the fetch under way brings the page.
      if (event.check.type !== "epicor" || shown === null) return false;
      const env = shown.environments.find((e) => e.id === event.check.id);
      return env === undefined || env.status !== event.check.status || env.message !== event.check.message;
    }
    case "transition":
      return shown?.environments.some((e) => e.id === event.transition.id) ?? false;
    case "config":
    case "removed":
      return true;
  }
}
