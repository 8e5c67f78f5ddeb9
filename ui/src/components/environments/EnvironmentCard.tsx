import { useId, useState } from "react";
import { toBackendError, type BackendError } from "../../backend";
import type { EnvironmentInfo } from "../../bindings/EnvironmentInfo";
import type { EpicorPage } from "../../bindings/EpicorPage";
import type { InstalledSolution } from "../../bindings/InstalledSolution";
import { capitalise, extraProblems, partNote, type PartName } from "../../lib/epicor";
import { formatDate, formatLatency } from "../../lib/format";
import { cabHref, checkHref } from "../../lib/route";
import { Ago } from "../Ago";
import { StatusBadge } from "../StatusBadge";
import { Fact, Note } from "./Facts";
import { SqlServer } from "./SqlServer";

export interface EnvironmentCardProps {
  env: EnvironmentInfo;
  /** The display name of the environment it belongs to (Live, Test …), when known. */
  environmentName: string | null;
  /** The CAB each solution was installed from, by solution id, when the workflow can show it. */
  cabs: ReadonlyMap<string, string>;
  /** Present for those who may inspect an environment now. */
  onRefresh?: (() => Promise<EpicorPage>) | undefined;
}

/** One Epicor environment: the verdict, then each part of the inspection, SQL Server last. */
export function EnvironmentCard({ env, environmentName, cabs, onRefresh }: EnvironmentCardProps) {
  const titleId = useId();
  const checked = env.parts.length > 0;
  return (
    <article
      className={`env-card env-card-${env.status}`}
      aria-labelledby={titleId}
      data-epicor-id={env.id}
      data-status={env.status}
    >
      <header className="env-card-head">
        <h2 id={titleId} className="env-card-name">
          {env.name}
        </h2>
        {environmentName && <span className="settings-badge env-label">{environmentName}</span>}
        <StatusBadge status={env.status} className="env-card-status" />
      </header>
      <p className="env-message">{env.message}</p>
      <ProblemsAndWarnings env={env} />

      {checked && (
        <>
          <dl className="env-facts">
            <Fact label="Version">
              <PartValue env={env} part="version" value={env.version} />
            </Fact>
            <Fact label="Patch level">
              <PartValue env={env} part="version" value={env.patch_level} />
            </Fact>
            <Fact label="Framework patch">
              <PartValue env={env} part="version" value={env.framework_patch} />
            </Fact>
            <Fact label="Health" wide>
              <Health env={env} />
            </Fact>
            <Fact label="Companies" wide>
              <Companies env={env} />
            </Fact>
            <Fact label="Solutions" wide>
              <Solutions env={env} cabs={cabs} />
            </Fact>
            <Fact label="Server" wide>
              <span className="env-url">{env.url}</span>
              <span className="muted">
                {" "}
                · REST {env.api}
                {env.company && <> · company {env.company}</>}
              </span>
            </Fact>
          </dl>
          <SqlServer env={env} />
        </>
      )}

      <CardFooter env={env} onRefresh={onRefresh} />
    </article>
  );
}

/** The problems beyond the verdict (which is shown above them), then the warnings; each marked. */
export function ProblemsAndWarnings({ env }: { env: EnvironmentInfo }) {
  const problems = extraProblems(env);
  return (
    <>
      {problems.length > 0 && (
        <ul className="env-problems" aria-label="Problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {env.warnings.length > 0 && (
        <ul className="env-warnings" aria-label="Warnings">
          {env.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A fact of one part of the inspection, or why that part has none. */
export function PartValue({ env, part, value }: { env: EnvironmentInfo; part: PartName; value: string | null }) {
  const note = partNote(env, part);
  if (value !== null) return <>{value}</>;
  return note ? <Note note={note} /> : <span className="muted">—</span>;
}

/** Epicor's own health endpoints, each marked OK or failed. */
export function Health({ env }: { env: EnvironmentInfo }) {
  const note = partNote(env, "health");
  if (note && env.health.length === 0) return <Note note={note} />;
  return (
    <>
      <ul className="env-health">
        {env.health.map((h) => (
          <li key={h.name} className={h.ok ? "env-ok" : "env-bad"} data-health={h.name}>
            <span className="env-mark" aria-hidden="true">
              {h.ok ? "✓" : "✗"}
            </span>
            {capitalise(h.name)}
            <span className={h.ok ? "sr-only" : "env-health-state"}>: {h.ok ? "OK" : "failed"}</span>
            {h.detail && <span className="env-health-detail">{h.detail}</span>}
          </li>
        ))}
      </ul>
      {note && <Note note={note} />}
    </>
  );
}

function Companies({ env }: { env: EnvironmentInfo }) {
  const note = partNote(env, "companies");
  if (note && env.companies.length === 0) return <Note note={note} />;
  if (env.companies.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="env-inline-list">
      {env.companies.map((c) => (
        <li key={c.id}>
          <span className="env-company-id">{c.id}</span>
          {c.name && c.name !== c.id && <span className="muted"> ({c.name})</span>}
        </li>
      ))}
    </ul>
  );
}

function Solutions({ env, cabs }: { env: EnvironmentInfo; cabs: ReadonlyMap<string, string> }) {
  const note = partNote(env, "solutions");
  if (note && env.solutions.length === 0) return <Note note={note} />;
  const count = env.solutions.length;
  if (count === 0) return <span className="muted">none installed</span>;
  return (
    <details className="env-solutions">
      <summary>
        {count} {count === 1 ? "solution" : "solutions"}
      </summary>
      <ul>
        {env.solutions.map((s) => (
          <SolutionItem key={`${s.company}/${s.solution_id}`} solution={s} cab={cabs.get(s.solution_id) ?? null} />
        ))}
      </ul>
    </details>
  );
}

function SolutionItem({ solution: s, cab }: { solution: InstalledSolution; cab: string | null }) {
  const changed = [s.changed_on && formatDate(s.changed_on), s.changed_by && `by ${s.changed_by}`]
    .filter(Boolean)
    .join(" ");
  const facts = [
    s.build_iteration !== null && `build ${s.build_iteration}`,
    s.file_name,
    s.company && `company ${s.company}`,
    changed && `changed ${changed}`,
  ];
  return (
    <li>
      <span className="env-solution-id">{cab ? <a href={cabHref(cab)}>{s.solution_id}</a> : s.solution_id}</span>
      <span className="env-solution-sub">{facts.filter(Boolean).join(" · ")}</span>
      {s.description && s.description !== s.solution_id && <span className="env-solution-sub">{s.description}</span>}
    </li>
  );
}

type RefreshState = { phase: "idle" } | { phase: "running" } | { phase: "failed"; error: BackendError };

function CardFooter({ env, onRefresh }: { env: EnvironmentInfo; onRefresh?: (() => Promise<EpicorPage>) | undefined }) {
  const [state, setState] = useState<RefreshState>({ phase: "idle" });
  const running = state.phase === "running";
  const refresh = async () => {
    if (!onRefresh || running) return;
    setState({ phase: "running" });
    try {
      await onRefresh();
      setState({ phase: "idle" });
    } catch (e) {
      setState({ phase: "failed", error: toBackendError(e) });
    }
  };
  return (
    <footer className="env-card-foot">
      {env.parts.length > 0 && (
        <span className="env-checked">
          <Ago iso={env.checked_at || null} text={(span) => `checked ${span} ago`} empty="not checked yet" />
          {env.latency_ms !== null && <span className="muted"> · {formatLatency(env.latency_ms)}</span>}
        </span>
      )}
      <a className="env-check-link" href={checkHref(env.id)} data-check-id={env.id}>
        {"History and alerts "}
        <span className="sr-only">of {env.name}</span>
      </a>
      {onRefresh && (
        <button type="button" aria-disabled={running || undefined} onClick={() => void refresh()}>
          {running ? "Refreshing…" : "Refresh"} <span className="sr-only">{env.name}</span>
        </button>
      )}
      {state.phase === "failed" && (
        <p className="env-refresh-error error-text" role="alert">
          Could not refresh {env.name}: {state.error.message}
        </p>
      )}
    </footer>
  );
}
