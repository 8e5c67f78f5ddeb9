import type { CheckView } from "../bindings/CheckView";
import type { EnvironmentView } from "../bindings/EnvironmentView";
import type { Overview } from "../bindings/Overview";
import { parseTime } from "./format";
import { countStatuses, isProblem, worst } from "./status";

/**
 * The overview with one check replaced by a newer result, counts and statuses recomputed.
 * Order is kept until the next full fetch. Returns `null` when the check is not where the
 * overview has it (new check, moved environment): the caller should fetch the overview.
 */
export function applyResult(overview: Overview, check: CheckView): Overview | null {
  const envIndex = overview.environments.findIndex((e) => e.checks.some((c) => c.id === check.id));
  const env = overview.environments[envIndex];
  if (env === undefined || env.id !== (check.environment ?? "")) return null;
  const checkIndex = env.checks.findIndex((c) => c.id === check.id);
  const current = env.checks[checkIndex];
  if (current === undefined) return null;
  const before = parseTime(current.checked_at);
  const after = parseTime(check.checked_at);
  if (before !== null && (after === null || after < before)) return overview; // stale

  const checks = env.checks.slice();
  checks[checkIndex] = check;
  const nextEnv: EnvironmentView = {
    ...env,
    checks,
    counts: countStatuses(checks),
    status: worst(checks.map((c) => c.status)),
  };
  const environments = overview.environments.slice();
  environments[envIndex] = nextEnv;
  return {
    ...overview,
    environments,
    counts: countStatuses(environments.flatMap((e) => e.checks)),
    status: worst(environments.map((e) => e.status)),
  };
}

export function totalChecks(overview: Overview): number {
  return overview.environments.reduce((n, e) => n + e.checks.length, 0);
}

/**
 * Environments with only the checks that match every word of `query` (in name, id, target,
 * tags or environment) and, with `onlyProblems`, are not up. Empty environments are dropped.
 */
export function filterEnvironments(
  environments: readonly EnvironmentView[],
  query: string,
  onlyProblems: boolean,
): EnvironmentView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0 && !onlyProblems) return environments.slice();
  const result: EnvironmentView[] = [];
  for (const env of environments) {
    const checks = env.checks.filter((c) => {
      if (onlyProblems && !isProblem(c)) return false;
      if (words.length === 0) return true;
      const text = [c.name, c.id, c.target ?? "", ...c.tags, env.name, env.id].join("\n").toLowerCase();
      return words.every((w) => text.includes(w));
    });
    if (checks.length > 0) result.push(checks.length === env.checks.length ? env : { ...env, checks });
  }
  return result;
}
