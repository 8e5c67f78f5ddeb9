// The Epicor ERP environments (Dev, Test, Live, customers' own): a card each saying whether it
// is up, which version and patch level it runs, its companies, the solutions installed and the
// SQL Server under it; and all of them side by side, with what differs between them marked.

import { useCallback, useMemo, useState, type ReactNode } from "react";
import { toBackendError, type Backend, type BackendError } from "../backend";
import type { Caller } from "../bindings/Caller";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { Overview } from "../bindings/Overview";
import { Counts } from "../components/Counts";
import { ComparisonTable } from "../components/environments/ComparisonTable";
import { EnvironmentCard } from "../components/environments/EnvironmentCard";
import { cabsBySolution } from "../lib/epicor";
import { canRunChecks, ROLE_LABEL, useCaller } from "../lib/roles";
import { ENVIRONMENTS_COMPARE_HREF, ENVIRONMENTS_HREF, type EnvironmentsTab } from "../lib/route";
import { countStatuses, describeCounts, STATUS_LABEL } from "../lib/status";
import { useEpicorPage } from "../lib/useEpicor";

export interface EnvironmentsPageProps {
  backend: Backend;
  /** For the display names of the environment groups (Live, Test …) the Epicor ones belong to. */
  overview: Overview | null;
  tab: EnvironmentsTab;
}

export function EnvironmentsPage({ backend, overview, tab }: EnvironmentsPageProps) {
  const caller = useCaller();
  const epicor = useEpicorPage(backend);
  const { data, error, reload, refresh } = epicor;
  const [status, setStatus] = useState<{ text: string; seq: number }>({ text: "", seq: 0 });
  const announce = useCallback((text: string) => setStatus((s) => ({ text, seq: s.seq + 1 })), []);
  const environmentNames = useMemo(
    () => new Map((overview?.environments ?? []).map((e) => [e.id, e.name])),
    [overview?.environments],
  );
  const configured = data !== null && data.environments.length > 0;
  const mayRefresh = canRunChecks(caller);

  const refreshOne = useCallback(
    async (id: string) => {
      const page = await refresh(id);
      const env = page.environments.find((e) => e.id === id);
      if (env) announce(`Inspected ${env.name}: ${STATUS_LABEL[env.status]}.`);
      return page;
    },
    [refresh, announce],
  );

  return (
    <main className="page environments">
      <div className="section-head">
        <h1 tabIndex={-1}>Environments</h1>
        {configured && mayRefresh && <RefreshAll refresh={refresh} announce={announce} />}
      </div>
      {configured && (
        <>
          <Counts counts={countStatuses(data.environments)} label="Epicor environments by status" />
          <RoleNote caller={caller} />
        </>
      )}
      <nav className="env-tabs" aria-label="Environment views">
        <a href={ENVIRONMENTS_HREF} aria-current={tab === "cards" ? "page" : undefined}>
          Each environment
        </a>
        <a href={ENVIRONMENTS_COMPARE_HREF} aria-current={tab === "compare" ? "page" : undefined}>
          Side by side
        </a>
      </nav>
      <div className="env-status" role="status" aria-live="polite">
        {status.text && <p key={status.seq}>{status.text}</p>}
      </div>

      <PageState data={data} error={error} reload={reload} />
      {configured &&
        (tab === "compare" ? (
          <ComparisonTable page={data} environmentNames={environmentNames} />
        ) : (
          <Cards page={data} environmentNames={environmentNames} onRefresh={mayRefresh ? refreshOne : undefined} />
        ))}
    </main>
  );
}

function Cards({
  page,
  environmentNames,
  onRefresh,
}: {
  page: EpicorPage;
  environmentNames: ReadonlyMap<string, string>;
  onRefresh: ((id: string) => Promise<EpicorPage>) | undefined;
}) {
  const cabs = useMemo(() => cabsBySolution(page), [page]);
  return (
    <div className="env-cards">
      {page.environments.map((env) => (
        <EnvironmentCard
          key={env.id}
          env={env}
          environmentName={env.environment ? (environmentNames.get(env.environment) ?? env.environment) : null}
          cabs={cabs}
          onRefresh={onRefresh && (() => onRefresh(env.id))}
        />
      ))}
    </div>
  );
}

/** Loading, why the page cannot be shown, or that there is nothing to show. */
function PageState({
  data,
  error,
  reload,
}: {
  data: EpicorPage | null;
  error: BackendError | null;
  reload: () => void;
}) {
  const tryAgain = (
    <button type="button" onClick={reload}>
      Try again
    </button>
  );
  if (data === null && error === null) {
    return (
      <p className="muted" role="status">
        Loading the Epicor environments…
      </p>
    );
  }
  if (data === null && error !== null) {
    return (
      <div className="banner banner-error" role="alert">
        <p className="wrap">Cannot load the Epicor environments: {error.message}</p>
        {tryAgain}
      </div>
    );
  }
  let stale: ReactNode = null;
  if (error !== null) {
    stale = (
      <div className="banner banner-warn" role="status">
        <p className="wrap">Could not refresh: {error.message}. Showing the last data received.</p>
        {tryAgain}
      </div>
    );
  }
  if (data !== null && data.environments.length === 0) {
    return (
      <>
        {stale}
        <div className="env-empty">
          <h2>No Epicor environments</h2>
          <p>
            No Epicor environments are configured: add <code>[[epicor]]</code> tables to the config file (see the config
            reference, <code>docs/config-reference.md</code>).
          </p>
        </div>
      </>
    );
  }
  return stale;
}

/** Inspects every environment now. */
function RefreshAll({
  refresh,
  announce,
}: {
  refresh: (id: string | null) => Promise<EpicorPage>;
  announce: (text: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const run = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const page = await refresh(null);
      const n = page.environments.length;
      announce(
        `Inspected ${n} ${n === 1 ? "environment" : "environments"}: ${describeCounts(countStatuses(page.environments))}.`,
      );
    } catch (e) {
      setError(toBackendError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="env-tools">
      <button type="button" aria-disabled={busy || undefined} onClick={() => void run()}>
        {busy ? "Refreshing all…" : "Refresh all"}
      </button>
      {error && (
        <p className="error-text wrap" role="alert">
          Could not refresh the environments: {error.message}
        </p>
      )}
    </div>
  );
}

/** What the caller's role leaves out, said once rather than at every card. */
function RoleNote({ caller }: { caller: Caller }) {
  if (canRunChecks(caller)) return null;
  return (
    <p className="muted env-role-note">
      You are signed in as {caller.name} ({ROLE_LABEL[caller.role]}): the environments are checked on their schedule;
      inspecting one now needs the Operator role.
    </p>
  );
}
