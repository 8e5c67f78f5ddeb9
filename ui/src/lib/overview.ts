import type { CheckView } from "../bindings/CheckView";
import type { EnvironmentView } from "../bindings/EnvironmentView";
import type { Overview } from "../bindings/Overview";
import { parseTime } from "./format";
import { countStatuses, isProblem, STATUS_RANK, worst } from "./status";

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

// Search text per check and per environment, built once per object: a live update replaces
// one check object, so every other check's text is reused.
const checkTexts = new WeakMap<CheckView, string>();
const envTexts = new WeakMap<EnvironmentView, string>();

function checkText(c: CheckView): string {
  let text = checkTexts.get(c);
  if (text === undefined) {
    text = [c.name, c.id, c.target ?? "", ...c.tags].join("\n").toLowerCase();
    checkTexts.set(c, text);
  }
  return text;
}

function envText(env: EnvironmentView): string {
  let text = envTexts.get(env);
  if (text === undefined) {
    text = `${env.name}\n${env.id}`.toLowerCase();
    envTexts.set(env, text);
  }
  return text;
}

// The filtered form of each environment for the last filter applied to it. A live update
// creates a new object only for the environment it touches (overview objects are never
// changed in place), so the others are not filtered again and keep their identity: their
// memoised sections do not re-render.
const filtered = new WeakMap<EnvironmentView, { key: string; result: EnvironmentView | null }>();

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
  const key = `${onlyProblems ? 1 : 0}${words.join(" ")}`;
  const result: EnvironmentView[] = [];
  for (const env of environments) {
    const cached = filtered.get(env);
    let kept: EnvironmentView | null;
    if (cached?.key === key) {
      kept = cached.result;
    } else {
      const envWords = words.filter((w) => !envText(env).includes(w));
      const checks = env.checks.filter((c) => {
        if (onlyProblems && !isProblem(c)) return false;
        const text = checkText(c);
        return envWords.every((w) => text.includes(w));
      });
      kept = checks.length === 0 ? null : checks.length === env.checks.length ? env : { ...env, checks };
      filtered.set(env, { key, result: kept });
    }
    if (kept !== null) result.push(kept);
  }
  return result;
}

/**
 * Environments worst status first. The server sends them in this order (ties broken by the
 * configured `order`); a live result can change an environment's status before the next
 * fetch, so re-sort, stably to keep the server's tie order. Returns the same array when
 * nothing moves.
 */
export function sortWorstFirst(environments: EnvironmentView[]): EnvironmentView[] {
  const sorted = environments.every(
    (env, i) => i === 0 || STATUS_RANK[environments[i - 1]!.status] >= STATUS_RANK[env.status],
  );
  if (sorted) return environments;
  return environments.slice().sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status]);
}
