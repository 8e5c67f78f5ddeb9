import type { StatusCounts } from "../bindings/StatusCounts";
import { STATUS_LABEL, STATUSES_WORST_FIRST } from "../lib/status";
import { StatusIcon } from "./StatusBadge";

/** Checks per status, worst first; `all` also lists statuses with no checks. */
export function Counts({
  counts,
  all = false,
  label,
}: {
  counts: StatusCounts;
  all?: boolean;
  label: string;
}) {
  const shown = STATUSES_WORST_FIRST.filter((s) => all || counts[s] > 0);
  return (
    <ul className="counts" aria-label={label}>
      {shown.map((s) => (
        <li key={s} className={`count status-${s}${counts[s] === 0 ? " count-zero" : ""}`}>
          <StatusIcon status={s} />
          <span>
            {counts[s]} {STATUS_LABEL[s].toLowerCase()}
          </span>
        </li>
      ))}
    </ul>
  );
}
