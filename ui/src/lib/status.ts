import type { CheckView } from "../bindings/CheckView";
import type { Status } from "../bindings/Status";
import type { StatusCounts } from "../bindings/StatusCounts";

/** Severity order, as the engine ranks it: `unknown` is below `down`. */
export const STATUS_RANK: Record<Status, number> = { up: 0, degraded: 1, unknown: 2, down: 3 };

export const STATUS_LABEL: Record<Status, string> = {
  up: "Up",
  degraded: "Degraded",
  down: "Down",
  unknown: "Unknown",
};

/** Worst first, the order the header shows counts in. */
export const STATUSES_WORST_FIRST: readonly Status[] = ["down", "unknown", "degraded", "up"];

export function worst(statuses: Iterable<Status>): Status {
  let result: Status = "up";
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[result]) result = s;
  return result;
}

export function countStatuses(checks: Iterable<Pick<CheckView, "status">>): StatusCounts {
  const counts: StatusCounts = { up: 0, degraded: 0, down: 0, unknown: 0 };
  for (const c of checks) counts[c.status] += 1;
  return counts;
}

/** A check needs a look when its confirmed status or its newest result is not up. */
export function isProblem(check: Pick<CheckView, "status" | "last_status">): boolean {
  return check.status !== "up" || check.last_status !== "up";
}

/** "2 down, 1 degraded, 27 up": worst first, zeros left out; "no results" when empty. */
export function describeCounts(counts: StatusCounts): string {
  const parts = STATUSES_WORST_FIRST.filter((s) => counts[s] > 0).map(
    (s) => `${counts[s]} ${STATUS_LABEL[s].toLowerCase()}`,
  );
  return parts.length > 0 ? parts.join(", ") : "no results";
}
