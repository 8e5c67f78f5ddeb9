import { useId, useMemo, type ReactNode } from "react";
import type { EnvironmentInfo } from "../../bindings/EnvironmentInfo";
import type { EpicorPage } from "../../bindings/EpicorPage";
import { comparisonRows, countDrift, factCells, NOT_AVAILABLE, solutionCells, type Cell } from "../../lib/epicor";
import { cabHref } from "../../lib/route";
import { isBoolean, useStoredState } from "../../lib/storage";

/** Remembered for the browser tab, as the other pages' filters are. */
const ONLY_DRIFT_KEY = "opsdeck:environments-only-differences";

export interface ComparisonTableProps {
  page: EpicorPage;
  /** The display name of each environment group (Live, Test …), by id. */
  environmentNames: ReadonlyMap<string, string>;
}

/**
 * The environments side by side: a column each, the facts and then the installed solutions as
 * rows. What differs is marked in words as well as colour; a solution installed from a CAB of
 * the release workflow links to that CAB.
 */
export function ComparisonTable({ page, environmentNames }: ComparisonTableProps) {
  const headingId = useId();
  const [onlyDrift, setOnlyDrift] = useStoredState("session", ONLY_DRIFT_KEY, false, isBoolean);
  const { comparison } = page;
  const columns = useMemo(
    () => comparison.columns.map((id) => page.environments.find((e) => e.id === id) ?? null),
    [comparison.columns, page.environments],
  );
  const rows = useMemo(() => comparisonRows(comparison, onlyDrift), [comparison, onlyDrift]);
  const drift = countDrift(comparison);
  const width = comparison.columns.length + 1;
  const linkCabs = page.cab_workflow;

  return (
    <section aria-labelledby={headingId} className="env-compare-section">
      <h2 id={headingId} className="sr-only">
        Side by side
      </h2>
      <div className="toolbar env-compare-tools">
        <label className="toggle">
          <input type="checkbox" checked={onlyDrift} onChange={(e) => setOnlyDrift(e.target.checked)} />
          Only differences
        </label>
        <p className="muted result-count" role="status">
          {drift === 0 ? "No differences" : `${drift} ${drift === 1 ? "row differs" : "rows differ"}`}
        </p>
      </div>
      {page.cab_problem && <p className="env-note">Solutions are not linked to CABs: {page.cab_problem}</p>}
      <div className="env-compare-scroll" role="region" aria-labelledby={headingId} tabIndex={0}>
        <table className="env-compare" aria-labelledby={headingId}>
          <thead>
            <tr>
              <th scope="col" className="env-compare-corner">
                <span className="sr-only">Fact</span>
              </th>
              {comparison.columns.map((id, i) => (
                <th scope="col" key={id} data-column={id}>
                  <ColumnHead id={id} env={columns[i] ?? null} environmentNames={environmentNames} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.facts.map((row) => (
              <tr
                key={row.label}
                className={row.drift ? "env-row-drift" : undefined}
                data-fact={row.label}
                data-drift={row.drift}
              >
                <RowHead drift={row.drift}>{row.label}</RowHead>
                {factCells(row).map((cell, i) => (
                  <CellView key={comparison.columns[i]} cell={cell} column={comparison.columns[i] ?? ""} />
                ))}
              </tr>
            ))}
            {rows.facts.length === 0 && (
              <tr>
                <td colSpan={width} className="env-compare-empty">
                  {onlyDrift ? "The environments agree on every fact." : "No facts are known yet."}
                </td>
              </tr>
            )}
          </tbody>
          <tbody>
            <tr className="env-compare-group">
              <th scope="colgroup" colSpan={width}>
                Solutions
              </th>
            </tr>
            {rows.solutions.map((row) => (
              <tr
                key={row.solution_id}
                className={row.drift ? "env-row-drift" : undefined}
                data-solution={row.solution_id}
                data-drift={row.drift}
              >
                <RowHead drift={row.drift}>
                  {linkCabs && row.cab ? (
                    <a href={cabHref(row.cab)} title={`CAB ${row.cab}`}>
                      {row.solution_id}
                    </a>
                  ) : (
                    row.solution_id
                  )}
                </RowHead>
                {solutionCells(row, comparison.columns, page.environments).map((cell, i) => (
                  <CellView key={comparison.columns[i]} cell={cell} column={comparison.columns[i] ?? ""} />
                ))}
              </tr>
            ))}
            {rows.solutions.length === 0 && (
              <tr>
                <td colSpan={width} className="env-compare-empty">
                  {onlyDrift && comparison.solutions.length > 0
                    ? "The same solutions are installed everywhere."
                    : "No installed solutions are known."}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ColumnHead({
  id,
  env,
  environmentNames,
}: {
  id: string;
  env: EnvironmentInfo | null;
  environmentNames: ReadonlyMap<string, string>;
}) {
  const group = env?.environment ? (environmentNames.get(env.environment) ?? env.environment) : null;
  return (
    <>
      <span className="env-compare-name">{env?.name ?? id}</span>
      {group && <span className="env-compare-group-name">{group}</span>}
    </>
  );
}

function RowHead({ drift, children }: { drift: boolean; children: ReactNode }) {
  return (
    <th scope="row">
      {children}
      {drift && <span className="env-drift-tag">differs</span>}
    </th>
  );
}

function CellView({ cell, column }: { cell: Cell; column: string }) {
  const className = `env-cell env-cell-${cell.kind}${cell.drift ? " env-cell-drift" : ""}`;
  return (
    <td className={className} data-column={column} data-drift={cell.drift || undefined}>
      {cell.drift && (
        <>
          <span className="env-drift-mark" aria-hidden="true">
            ≠
          </span>
          <span className="sr-only">differs: </span>
        </>
      )}
      <CellText cell={cell} />
    </td>
  );
}

function CellText({ cell }: { cell: Cell }) {
  switch (cell.kind) {
    case "value":
      return <>{cell.text}</>;
    case "missing":
      return <>missing</>;
    case "not-available":
      return <>{NOT_AVAILABLE}</>;
    case "unknown":
      return (
        <>
          <span aria-hidden="true">—</span>
          <span className="sr-only">not known</span>
        </>
      );
  }
}
