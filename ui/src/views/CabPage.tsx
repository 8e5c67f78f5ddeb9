// CABs: the release workflow of the Epicor Solution Workbench packages kept in Bitbucket. The
// pipeline of every CAB (in the repository, installed, approved, promoted) with the environment
// matrix (the install recorded in each environment, and what its Epicor environments themselves
// list, differences flagged), a CAB's versions with what was recorded about each and what can
// be done with it, and the hash-chained audit log. The board is read once for the list and a
// CAB's page alike.

import { useCallback, useEffect, useId, useMemo, useState, type ReactNode } from "react";
import { api, type Api, type Backend, type BackendError } from "../backend";
import type { Board } from "../bindings/Board";
import type { CabCard } from "../bindings/CabCard";
import type { Caller } from "../bindings/Caller";
import type { Placement } from "../bindings/Placement";
import type { VersionState } from "../bindings/VersionState";
import { withCode } from "../components/alerts/TimelineList";
import { AuditLog, AuditTools } from "../components/cab/AuditLog";
import { EpicorCellLines, EpicorWhereLines } from "../components/cab/EpicorSightings";
import { StagePipeline } from "../components/cab/StagePipeline";
import { UploadDialog } from "../components/cab/UploadDialog";
import {
  ApproveDialog,
  InstallDialog,
  PromoteDialog,
  RejectDialog,
  ReviewDialog,
} from "../components/cab/VersionDialogs";
import {
  authorName,
  countDifferences,
  differencesOf,
  environmentName,
  filterCabs,
  formatByteCount,
  formatBytes,
  fromBase64,
  placementTitle,
  saveFile,
  shortCommit,
  sightingsIn,
  waitingText,
} from "../lib/cab";
import { formatDate, formatDateTime } from "../lib/format";
import { canDecideCabs, canRecordCabs, ROLE_LABEL, useCaller } from "../lib/roles";
import { CAB_AUDIT_HREF, cabHref, CABS_HREF, type CabsTab } from "../lib/route";
import { isBoolean, isString, useStoredState } from "../lib/storage";
import { useCabAudit, useCabBoard, useCabDetail, type Loaded } from "../lib/useCabs";
import "../settings.css";

/** Entries of the audit log a page. */
const AUDIT_PAGE = 50;
/** The search is remembered for the browser tab. */
const QUERY_KEY = "opsdeck:cab-query";
/** So is whether only the CABs that differ from what Epicor lists are shown. */
const ONLY_DIFFERENCES_KEY = "opsdeck:cab-only-differences";

export type CabRoute = { view: "cabs"; tab: CabsTab } | { view: "cab"; name: string };

export interface CabPageProps {
  backend: Backend;
  route: CabRoute;
}

/** The list (pipeline or audit log) or one CAB's page, sharing one reading of the board. */
export function CabPage({ backend, route }: CabPageProps) {
  const client = useMemo(() => api(backend), [backend]);
  const board = useCabBoard(backend);
  return route.view === "cab" ? (
    <CabDetailView key={route.name} backend={backend} client={client} board={board} name={route.name} />
  ) : (
    <CabList backend={backend} client={client} board={board} tab={route.tab} />
  );
}

/** What the page's polite status region says; each message is a new paragraph, so it is read. */
function useAnnouncer() {
  const [status, setStatus] = useState<{ content: ReactNode; seq: number }>({ content: null, seq: 0 });
  const announce = useCallback((content: ReactNode) => setStatus((s) => ({ content, seq: s.seq + 1 })), []);
  const region = (
    <div className="settings-status" role="status" aria-live="polite">
      {status.content && <p key={status.seq}>{status.content}</p>}
    </div>
  );
  return { announce, region };
}

// ---------------------------------------------------------------------------------------------
// The list

interface ListProps {
  backend: Backend;
  client: Api;
  board: Loaded<Board>;
  tab: CabsTab;
}

function CabList({ backend, client, board, tab }: ListProps) {
  const caller = useCaller();
  const { announce, region } = useAnnouncer();
  const [uploading, setUploading] = useState(false);
  const data = board.data;
  const reasonId = useId();
  const uploadBlocked = data?.roles && !data.roles.publisher ? "Only publishers can upload." : null;

  return (
    <main className="page settings cabs">
      <div className="section-head">
        <h1 tabIndex={-1}>CABs</h1>
        {data && (
          <div className="cab-tools">
            <RefreshButton board={board} />
            {canRecordCabs(caller) && (
              <>
                <button
                  type="button"
                  className="primary"
                  aria-haspopup="dialog"
                  aria-disabled={uploadBlocked ? true : undefined}
                  aria-describedby={uploadBlocked ? reasonId : undefined}
                  data-unavailable={uploadBlocked ? "" : undefined}
                  onClick={() => {
                    if (!uploadBlocked) setUploading(true);
                  }}
                >
                  Upload CAB
                </button>
                {uploadBlocked && (
                  <span id={reasonId} className="cab-why-inline">
                    {uploadBlocked}
                  </span>
                )}
              </>
            )}
          </div>
        )}
      </div>
      {data && <BoardFacts board={data} caller={caller} />}
      <nav className="cab-tabs" aria-label="CAB views">
        <a href={CABS_HREF} aria-current={tab === "pipeline" ? "page" : undefined}>
          Pipeline
        </a>
        <a href={CAB_AUDIT_HREF} aria-current={tab === "audit" ? "page" : undefined}>
          Audit log
        </a>
      </nav>
      {region}

      {tab === "pipeline" ? (
        <>
          <BoardState board={board} />
          {data && <Pipeline board={data} />}
        </>
      ) : (
        <AuditView backend={backend} client={client} announce={announce} />
      )}

      {uploading && data && (
        <UploadDialog
          board={data}
          client={client}
          onRefresh={board.refresh}
          onUploaded={(u) => {
            setUploading(false);
            announce(
              <>
                Committed {u.name} as version {u.version} (commit <code>{shortCommit(u.commit)}</code>,{" "}
                {formatByteCount(u.size)}).
              </>,
            );
            void board.reload();
          }}
          onClose={() => setUploading(false)}
        />
      )}
    </main>
  );
}

function RefreshButton({ board, label = "Refresh" }: { board: Loaded<unknown>; label?: string }) {
  return (
    <button
      type="button"
      aria-disabled={board.refreshing || undefined}
      onClick={() => {
        if (!board.refreshing) void board.refresh();
      }}
    >
      {board.refreshing ? "Refreshing…" : label}
    </button>
  );
}

/** Loading, or why the board cannot be shown (the workflow not configured, Bitbucket down). */
function BoardState({ board, what = "the CABs" }: { board: Loaded<unknown>; what?: string }) {
  if (board.data === null && board.error === null) return <p className="muted">Loading {what} from Bitbucket…</p>;
  if (board.error === null) return null;
  if (board.data !== null) {
    return (
      <div className="banner banner-warn">
        <p>Could not refresh: {withCode(board.error.message)}. Showing the last data received.</p>
        <RefreshButton board={board} label="Try again" />
      </div>
    );
  }
  return <Unavailable error={board.error} board={board} />;
}

function Unavailable({ error, board }: { error: BackendError; board: Loaded<unknown> }) {
  const notConfigured = /not configured/i.test(error.message);
  if (error.code === "unavailable") {
    return (
      <div className="cab-empty">
        <h2>{notConfigured ? "The CAB workflow is not set up" : "The CABs cannot be read now"}</h2>
        <p className="wrap">{withCode(error.message)}.</p>
        {notConfigured ? (
          <p>
            The release workflow guide (<code>docs/cab-workflow.md</code>) shows the <code>[cab]</code> table: the
            Bitbucket repository, the approvers and publishers, and where approved CABs go.
          </p>
        ) : null}
        <RefreshButton board={board} label="Try again" />
      </div>
    );
  }
  return (
    <div className="banner banner-error" role="alert">
      <p className="wrap">Cannot load the CABs: {withCode(error.message)}</p>
      <RefreshButton board={board} label="Try again" />
    </div>
  );
}

function BoardFacts({ board, caller }: { board: Board; caller: Caller }) {
  const roles = board.roles;
  const folder = board.path.replace(/^\/+|\/+$/g, "");
  return (
    <>
      <dl className="cab-facts cab-board-facts">
        <div>
          <dt>Repository</dt>
          <dd className="wrap">
            {board.repository}: <code>{folder ? `${folder}/` : "/"}</code> on <code>{board.branch}</code>
            {board.flow === "pull-request" ? ", through pull requests" : ""}
          </dd>
        </div>
        <div>
          <dt>You in Bitbucket</dt>
          <dd className="wrap">
            {roles ? (
              <>
                {roles.identity.display_name || roles.identity.name}
                {roles.identity.email && ` (${roles.identity.email})`}{" "}
                {roles.approver && <span className="settings-badge cab-role">Approver</span>}{" "}
                {roles.publisher && <span className="settings-badge cab-role">Publisher</span>}
                {!roles.approver && !roles.publisher && <span className="muted">records installs only</span>}
              </>
            ) : (
              <span className="muted">unknown: the Bitbucket account could not be read</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Approvals</dt>
          <dd className="wrap">
            {board.required_approvals} required
            {board.approvers.length > 0 && <>, from {board.approvers.join(", ")}</>}
          </dd>
        </div>
        <div>
          <dt>Promotes to</dt>
          <dd className="wrap">
            {board.destination ? <code>{board.destination}</code> : <span className="muted">no destination configured</span>}
          </dd>
        </div>
      </dl>
      <RoleNote caller={caller} />
    </>
  );
}

/** What the caller's opsdeck role leaves out, said once rather than at every button. */
function RoleNote({ caller }: { caller: Caller }) {
  if (canDecideCabs(caller)) return null;
  return (
    <p className="muted cab-role-note">
      You are signed in as {caller.name} ({ROLE_LABEL[caller.role]}):{" "}
      {canRecordCabs(caller)
        ? "approving, rejecting and promoting need the Approver role."
        : "you can follow the pipeline and download CABs; uploading and recording installs need the Operator role, approving and promoting the Approver role."}
    </p>
  );
}

function Pipeline({ board }: { board: Board }) {
  const headingId = useId();
  const searchId = useId();
  const [query, setQuery] = useStoredState("session", QUERY_KEY, "", isString);
  const [onlyDifferences, setOnlyDifferences] = useStoredState("session", ONLY_DIFFERENCES_KEY, false, isBoolean);
  const differences = useMemo(() => countDifferences(board.cabs), [board.cabs]);
  // Offered while there is something to show, or to undo.
  const offerDifferences = differences > 0 || onlyDifferences;
  const shown = useMemo(() => {
    const found = filterCabs(board.cabs, query);
    return onlyDifferences ? found.filter((c) => differencesOf(c) > 0) : found;
  }, [board.cabs, query, onlyDifferences]);
  const total = board.cabs.length;
  const filtering = query.trim() !== "" || onlyDifferences;
  const folder = board.path.replace(/^\/+|\/+$/g, "");
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} className="sr-only">
        Pipeline
      </h2>
      {total === 0 ? (
        <p className="muted">
          No CAB in <code>{folder || "/"}</code> on <code>{board.branch}</code> yet: upload the first one.
        </p>
      ) : (
        <>
          <div className="toolbar cab-toolbar">
            <div className="toolbar-search">
              <label className="sr-only" htmlFor={searchId}>
                Find a CAB
              </label>
              <input
                id={searchId}
                type="search"
                placeholder="Find a CAB by name…"
                autoComplete="off"
                spellCheck={false}
                value={query}
                onChange={(e) => setQuery(e.target.value)}
              />
            </div>
            {offerDifferences && (
              <label className="toggle">
                <input
                  type="checkbox"
                  checked={onlyDifferences}
                  onChange={(e) => setOnlyDifferences(e.target.checked)}
                />
                Only differences with Epicor
              </label>
            )}
            <p className="muted result-count" role="status">
              {filtering ? `Showing ${shown.length} of ${total} CABs` : `${total} ${total === 1 ? "CAB" : "CABs"}`}
              {differences > 0 && (
                <>
                  {" · "}
                  <span className="cab-differences-count">
                    <span aria-hidden="true">⚠ </span>
                    {differences} {differences === 1 ? "difference" : "differences"} with Epicor
                  </span>
                </>
              )}
            </p>
          </div>
          {shown.length === 0 ? (
            <p className="empty">
              {query.trim() === ""
                ? "No CAB differs from what Epicor lists."
                : onlyDifferences
                  ? `No CAB that differs from what Epicor lists matches “${query.trim()}”.`
                  : `No CAB matches “${query.trim()}”.`}
            </p>
          ) : (
            <table className="cab-table" aria-labelledby={headingId}>
              <thead>
                <tr>
                  <th scope="col">CAB</th>
                  <th scope="col">Stage</th>
                  {board.environments.map((env) => (
                    <th key={env.id} scope="col" className="cab-col-env">
                      {env.name}
                    </th>
                  ))}
                  <th scope="col" className="cab-col-env">
                    Promoted
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((card) => (
                  <CabRow key={card.path} board={board} card={card} />
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function CabRow({ board, card }: { board: Board; card: CabCard }) {
  const v = card.newest;
  const differences = differencesOf(card);
  return (
    <tr
      className={`cab-row cab-row-${card.stage}`}
      data-cab={card.name}
      data-stage={card.stage}
      data-differences={differences || undefined}
    >
      <th scope="row" className="cab-cell-name">
        <a className="cab-name" href={cabHref(card.name)} data-cab-name={card.name}>
          {card.name}
        </a>
        <span className="cab-sub">
          v{v.version}
          {card.versions > 1 && ` of ${card.versions}`} · {authorName(v.author)} ·{" "}
          <time dateTime={v.date} title={formatDateTime(v.date)}>
            {formatDate(v.date)}
          </time>
        </span>
        {v.waiting_for && card.stage !== "promoted" && (
          <span className={`cab-waiting${card.stage === "rejected" ? " cab-waiting-rejected" : ""}`}>
            {waitingText(v.waiting_for)}
          </span>
        )}
      </th>
      <td data-label="Stage" className="cab-cell-stage">
        <StagePipeline stage={card.stage} newest={v} />
      </td>
      {board.environments.map((env, i) => {
        const sightings = sightingsIn(card, env.id);
        const differs = sightings.some((s) => s.difference !== null);
        return (
          <td
            key={env.id}
            data-label={env.name}
            data-env={env.id}
            data-differs={differs || undefined}
            className={`cab-cell-env${sightings.length > 0 ? " cab-cell-epicor" : ""}${differs ? " cab-cell-differs" : ""}`}
          >
            <PlacementText placement={card.installed[i] ?? null} verb="installed" />
            <EpicorCellLines sightings={sightings} />
          </td>
        );
      })}
      <td data-label="Promoted" data-env="promoted" className="cab-cell-env">
        <PlacementText placement={card.promoted} verb="promoted" />
      </td>
    </tr>
  );
}

/** "v3", marked when it is not the newest version; "—" for nothing. */
function PlacementText({ placement: p, verb }: { placement: Placement | null; verb: string }) {
  if (p === null) {
    return (
      <span className="cab-none">
        <span aria-hidden="true">—</span>
        <span className="sr-only">none</span>
      </span>
    );
  }
  return (
    <span className={`cab-placed${p.current ? "" : " cab-placed-old"}`} title={placementTitle(p, verb)}>
      <span className="cab-placed-version">v{p.version}</span>
      {!p.current && <span className="cab-old-mark">not newest</span>}
    </span>
  );
}

// ---------------------------------------------------------------------------------------------
// The audit log

function AuditView({
  backend,
  client,
  announce,
}: {
  backend: Backend;
  client: Api;
  announce: (content: ReactNode) => void;
}) {
  const headingId = useId();
  const audit = useCabAudit(backend, null, AUDIT_PAGE);
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId} className="sr-only">
        Audit log
      </h2>
      <p className="muted">
        Every upload, install, approval, rejection and promotion through opsdeck, failures included, newest first.
        Each entry holds the hash of the one before it, so any change or removal breaks the chain.
      </p>
      <AuditTools client={client} announce={announce} save={saveFile} />
      <AuditLog
        audit={audit}
        label="Audit log"
        empty="Nothing has been recorded yet: uploads, installs, approvals, rejections and promotions through opsdeck show here."
      />
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// One CAB

interface DetailProps {
  backend: Backend;
  client: Api;
  board: Loaded<Board>;
  name: string;
}

type ActionKind = "install" | "review" | "approve" | "reject" | "promote";

type Acting = { kind: ActionKind; version: VersionState } | null;

function CabDetailView({ backend, client, board, name }: DetailProps) {
  const detail = useCabDetail(backend, name);
  const caller = useCaller();
  const { announce, region } = useAnnouncer();
  const [acting, setActing] = useState<Acting>(null);
  const [downloading, setDownloading] = useState<string | null>(null);
  const [changes, setChanges] = useState(0);
  const data = detail.data;
  const b = board.data;
  const card = data?.card ?? null;

  const changed = () => {
    setActing(null);
    setChanges((c) => c + 1);
    void detail.reload();
    void board.reload();
  };

  const refreshBoth = {
    ...detail,
    refreshing: detail.refreshing || board.refreshing,
    refresh: async () => {
      const [a, c] = await Promise.all([detail.refresh(), board.refresh()]);
      return a && c;
    },
  };

  const download = async (v: VersionState) => {
    if (downloading !== null || !card) return;
    setDownloading(v.commit);
    try {
      const d = await client.cabDownload(card.name, v.commit);
      saveFile(d.name, new Blob([fromBase64(d.content)], { type: "application/vnd.ms-cab-compressed" }));
      announce(
        <>
          Downloaded version {d.version} of {d.name} (SHA-256 <code className="cab-hash">{d.sha256}</code>).
        </>,
      );
    } catch (e) {
      announce(`Could not download version ${v.version}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setDownloading(null);
    }
  };

  return (
    <main className="page settings cab-detail">
      <a className="back" href={CABS_HREF}>
        ← All CABs
      </a>
      <div className="section-head">
        <h1 tabIndex={-1} className="wrap">
          {card?.name ?? name}
        </h1>
        {data && b && <RefreshButton board={refreshBoth} />}
      </div>
      {region}

      {detail.error?.code === "not_found" && data === null ? (
        <div className="banner banner-warn">
          <p className="wrap">{withCode(detail.error.message)}: it may have been renamed or removed.</p>
          <a href={CABS_HREF}>All CABs</a>
        </div>
      ) : (
        <>
          <BoardState board={detail} what="the CAB" />
          {data && <BoardState board={board} what="the board" />}
        </>
      )}

      {data && card && b && (
        <>
          <p className="muted cab-path wrap">
            <code>{card.path}</code> on <code>{b.branch}</code> · {card.versions}{" "}
            {card.versions === 1 ? "version" : "versions"} · {formatBytes(card.size)}
          </p>
          <div className="cab-detail-stage">
            <StagePipeline stage={card.stage} newest={card.newest} />
            {card.newest.waiting_for && card.stage !== "promoted" && (
              <p className={`cab-waiting${card.stage === "rejected" ? " cab-waiting-rejected" : ""}`}>
                {waitingText(card.newest.waiting_for)}
              </p>
            )}
          </div>

          <WhereItIs board={b} card={card} />
          <RoleNote caller={caller} />

          <section aria-labelledby="cab-versions-h">
            <h2 id="cab-versions-h">Versions</h2>
            <ol className="settings-list cab-versions" aria-label={`Versions of ${card.name}`}>
              {data.versions.map((v) => (
                <VersionItem
                  key={v.commit}
                  board={b}
                  card={card}
                  version={v}
                  caller={caller}
                  downloading={downloading === v.commit}
                  onAct={(kind) => setActing({ kind, version: v })}
                  onDownload={() => void download(v)}
                />
              ))}
            </ol>
            {data.more && (
              <p className="muted">
                Older versions exist; the newest {data.versions.length} are shown.
              </p>
            )}
          </section>

          <CabAuditSection backend={backend} path={card.path} changes={changes} />

          {acting?.kind === "install" && (
            <InstallDialog
              board={b}
              card={card}
              version={acting.version}
              client={client}
              onClose={() => setActing(null)}
              onDone={(_, env) => {
                announce(
                  `Recorded version ${acting.version.version} of ${card.name} as installed in ${environmentName(b, env)}.`,
                );
                changed();
              }}
            />
          )}
          {acting?.kind === "review" && (
            <ReviewDialog
              board={b}
              card={card}
              version={acting.version}
              client={client}
              onClose={() => setActing(null)}
              onDone={(state) => {
                const pr = state.pull_request;
                announce(
                  `Requested a review of version ${state.version} of ${card.name}${
                    pr ? `: pull request #${pr.id} (${pr.state.toLowerCase()})` : ""
                  }.`,
                );
                changed();
              }}
            />
          )}
          {acting?.kind === "approve" && (
            <ApproveDialog
              board={b}
              card={card}
              version={acting.version}
              client={client}
              onClose={() => setActing(null)}
              onDone={(state) => {
                announce(
                  `Approved version ${state.version} of ${card.name}. ${
                    state.waiting_for ? `${waitingText(state.waiting_for)}.` : "It can be promoted now."
                  }`,
                );
                changed();
              }}
            />
          )}
          {acting?.kind === "reject" && (
            <RejectDialog
              board={b}
              card={card}
              version={acting.version}
              client={client}
              onClose={() => setActing(null)}
              onDone={(state, reason) => {
                announce(`Rejected version ${state.version} of ${card.name}: “${reason}”.`);
                changed();
              }}
            />
          )}
          {acting?.kind === "promote" && (
            <PromoteDialog
              board={b}
              card={card}
              version={acting.version}
              client={client}
              onClose={() => setActing(null)}
              onDone={(p) => {
                announce(
                  <>
                    Promoted version {p.version} of {p.name} to <code className="wrap">{p.placed.target}</code>
                    {p.placed.replaced ? ", replacing the file that was there" : ""}
                    {p.placed.already_there ? " (the same file was there already)" : ""}; tagged{" "}
                    <code>{p.tag}</code>.
                  </>,
                );
                changed();
              }}
            />
          )}
        </>
      )}
    </main>
  );
}

/** The environment matrix of one CAB, and its promotion. */
function WhereItIs({ board, card }: { board: Board; card: CabCard }) {
  const differences = differencesOf(card);
  return (
    <section aria-labelledby="cab-where-h">
      <h2 id="cab-where-h">Where it is</h2>
      {differences > 0 && (
        <p className="cab-warn cab-where-summary">
          {differences === 1
            ? "The record and Epicor differ in 1 place."
            : `The record and Epicor differ in ${differences} places.`}
        </p>
      )}
      <dl className="cab-facts cab-where">
        {board.environments.map((env, i) => {
          const p = card.installed[i] ?? null;
          const sightings = sightingsIn(card, env.id);
          const differs = sightings.some((s) => s.difference !== null);
          return (
            <div
              key={env.id}
              data-env={env.id}
              data-differs={differs || undefined}
              className={differs ? "cab-where-differs" : undefined}
            >
              <dt>{env.name}</dt>
              <dd>
                <PlacementLine placement={p} empty="not installed" />
                <EpicorWhereLines sightings={sightings} />
              </dd>
            </div>
          );
        })}
        <div data-env="promoted">
          <dt>Promoted</dt>
          <dd>
            <PlacementLine placement={card.promoted} empty="not promoted" />
          </dd>
        </div>
      </dl>
    </section>
  );
}

function PlacementLine({ placement: p, empty }: { placement: Placement | null; empty: string }) {
  if (p === null) return <span className="muted">{empty}</span>;
  return (
    <>
      <span className={`cab-placed${p.current ? "" : " cab-placed-old"}`}>
        <span className="cab-placed-version">v{p.version}</span>
        {!p.current && <span className="cab-old-mark">not newest</span>}
      </span>{" "}
      <span className="cab-placed-by">
        {authorName(p.by)},{" "}
        <time dateTime={p.at} title={formatDateTime(p.at)}>
          {formatDate(p.at)}
        </time>
      </span>
    </>
  );
}

interface VersionItemProps {
  board: Board;
  card: CabCard;
  version: VersionState;
  caller: Caller;
  downloading: boolean;
  onAct: (kind: ActionKind) => void;
  onDownload: () => void;
}

function VersionItem({ board, card, version: v, caller, downloading, onAct, onDownload }: VersionItemProps) {
  const headId = useId();
  const newest = v.version === card.versions;
  const uploader = v.uploaded_through;
  const verdict = v.promoted
    ? { text: "Promoted", cls: "promoted" }
    : v.rejections.some((r) => r.counts)
      ? { text: "Rejected", cls: "rejected" }
      : v.promotable
        ? { text: "Approved", cls: "approved" }
        : null;
  return (
    <li className={`settings-item cab-version${newest ? " cab-version-newest" : ""}`} aria-labelledby={headId}>
      <div className="cab-version-head">
        <h3 id={headId} className="cab-version-title">
          Version {v.version}
        </h3>
        {newest && <span className="settings-badge">Newest</span>}
        {verdict && <span className={`settings-badge cab-verdict-${verdict.cls}`}>{verdict.text}</span>}
        <code className="cab-commit" title={v.commit}>
          {shortCommit(v.commit)}
        </code>
      </div>
      <p className="cab-message">{v.message || <span className="muted">no message</span>}</p>
      <dl className="cab-facts">
        <div>
          <dt>Author</dt>
          <dd className="wrap">
            {v.author}
            {uploader && <span className="muted"> (uploaded through opsdeck by {uploader})</span>},{" "}
            <time dateTime={v.date}>{formatDateTime(v.date)}</time>
          </dd>
        </div>
        <div>
          <dt>SHA-256</dt>
          <dd>{v.sha256 ? <code className="cab-hash">{v.sha256}</code> : <span className="muted">not read yet</span>}</dd>
        </div>
        <div>
          <dt>Installed in</dt>
          <dd>
            {v.installs.length === 0 ? (
              <span className="muted">not recorded anywhere</span>
            ) : (
              <ul className="cab-records">
                {v.installs.map((p) => (
                  <li key={p.target}>
                    <strong>{environmentName(board, p.target)}</strong>{" "}
                    <span className="cab-placed-by">
                      by {authorName(p.by)},{" "}
                      <time dateTime={p.at} title={formatDateTime(p.at)}>
                        {formatDate(p.at)}
                      </time>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        <div>
          <dt>Approvals</dt>
          <dd>
            {v.approvals.length === 0 ? (
              <span className="muted">none yet</span>
            ) : (
              <ul className="cab-records">
                {v.approvals.map((a) => (
                  <li key={`${a.by}-${a.at}`} className={a.counts ? "cab-approval" : "cab-approval cab-not-counted"}>
                    <span className="wrap">{a.by}</span>,{" "}
                    <time dateTime={a.at} title={formatDateTime(a.at)}>
                      {formatDate(a.at)}
                    </time>
                    {!a.counts && <span className="cab-note"> does not count: {a.note ?? "no reason given"}</span>}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        {v.rejections.length > 0 && (
          <div>
            <dt>Rejections</dt>
            <dd>
              <ul className="cab-records">
                {v.rejections.map((r) => (
                  <li key={`${r.by}-${r.at}`} className={r.counts ? "cab-rejection" : "cab-rejection cab-not-counted"}>
                    <span className="wrap">{r.by}</span>,{" "}
                    <time dateTime={r.at} title={formatDateTime(r.at)}>
                      {formatDate(r.at)}
                    </time>
                    : <q className="cab-reason">{r.note ?? "no reason given"}</q>
                    {!r.counts && <span className="cab-note"> (does not count: not a configured approver)</span>}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
        )}
        {board.flow === "pull-request" && (
          <div>
            <dt>Pull request</dt>
            <dd className="wrap">
              {v.pull_request ? (
                <>
                  #{v.pull_request.id} ({v.pull_request.state.toLowerCase()}) from <code>{v.pull_request.source_branch}</code>
                </>
              ) : (
                <span className="muted">none yet</span>
              )}
            </dd>
          </div>
        )}
        <div className="cab-fact-wide">
          <dt>Promoted</dt>
          <dd className="wrap">
            {v.promoted ? (
              <>
                to <code>{v.promoted.target}</code> by {authorName(v.promoted.by)},{" "}
                <time dateTime={v.promoted.at}>{formatDateTime(v.promoted.at)}</time>
              </>
            ) : v.waiting_for ? (
              <span className="muted">not yet: {v.waiting_for}</span>
            ) : (
              <span className="muted">not yet: ready to promote</span>
            )}
          </dd>
        </div>
      </dl>
      <VersionActions
        board={board}
        version={v}
        caller={caller}
        downloading={downloading}
        onAct={onAct}
        onDownload={onDownload}
      />
    </li>
  );
}

interface ActionSpec {
  key: ActionKind;
  label: string;
  /** Why it cannot be done, or null when it can. */
  reason: string | null;
}

/** The actions on a version the caller's opsdeck role allows, each disabled with a reason when it cannot be done. */
function VersionActions({
  board,
  version: v,
  caller,
  downloading,
  onAct,
  onDownload,
}: Omit<VersionItemProps, "card">) {
  const baseId = useId();
  const roles = board.roles;
  const specs: ActionSpec[] = [];
  if (canRecordCabs(caller)) {
    specs.push({
      key: "install",
      label: "Record install",
      reason: board.environments.length === 0 ? "No environments are configured to record installs in." : null,
    });
    if (board.flow === "pull-request") {
      const pr = v.pull_request;
      const open = pr !== null && (pr.state === "OPEN" || pr.state === "MERGED");
      specs.push({
        key: "review",
        label: "Request review",
        reason: v.promoted
          ? "It is promoted already."
          : open
            ? `Pull request #${pr.id} is ${pr.state.toLowerCase()}.`
            : null,
      });
    }
  }
  if (canDecideCabs(caller)) {
    const notApprover = roles !== null && !roles.approver ? "Only approvers can approve or reject." : null;
    const own = v.yours ? "You wrote this version: someone else must approve it." : null;
    specs.push({ key: "approve", label: "Approve", reason: notApprover ?? own });
    specs.push({ key: "reject", label: "Reject", reason: notApprover });
    const rejected = v.waiting_for !== null && /^rejected by /i.test(v.waiting_for);
    specs.push({
      key: "promote",
      label: v.promoted ? "Promote again" : "Promote",
      reason:
        roles !== null && !roles.publisher
          ? "Only publishers can promote."
          : board.destination === null
            ? "No promotion destination is configured."
            : !v.promotable
              ? rejected
                ? "It cannot be promoted while it is rejected."
                : `Not ready to promote: waiting for ${v.waiting_for ?? "approval"}.`
              : null,
    });
  }
  // One line per distinct reason, shared by the buttons it applies to.
  const reasons = [...new Set(specs.map((s) => s.reason).filter((r): r is string => r !== null))];
  const reasonId = (r: string) => `${baseId}-${reasons.indexOf(r)}`;
  return (
    <div className="cab-version-actions">
      <div className="cab-actions">
        {specs.map((s) => (
          <button
            key={s.key}
            type="button"
            data-action={s.key}
            aria-haspopup="dialog"
            aria-disabled={s.reason ? true : undefined}
            aria-describedby={s.reason ? reasonId(s.reason) : undefined}
            data-unavailable={s.reason ? "" : undefined}
            onClick={() => {
              if (!s.reason) onAct(s.key);
            }}
          >
            {s.label} <span className="sr-only">version {v.version}</span>
          </button>
        ))}
        <button
          type="button"
          data-action="download"
          aria-disabled={downloading || undefined}
          onClick={() => {
            if (!downloading) onDownload();
          }}
        >
          {downloading ? "Downloading…" : "Download"} <span className="sr-only">version {v.version}</span>
        </button>
      </div>
      {reasons.length > 0 && (
        <ul className="cab-why">
          {reasons.map((r) => (
            <li key={r} id={reasonId(r)}>
              {r}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CabAuditSection({ backend, path, changes }: { backend: Backend; path: string; changes: number }) {
  const audit = useCabAudit(backend, path, 20);
  const { reload } = audit;
  // After an action on this page: its entry is in the log now.
  useEffect(() => {
    if (changes > 0) reload();
  }, [changes, reload]);
  return (
    <section aria-labelledby="cab-audit-h">
      <h2 id="cab-audit-h">Audit log</h2>
      <AuditLog
        audit={audit}
        label={`Audit log of ${path}`}
        oneCab
        empty="Nothing has been recorded about it through opsdeck yet."
      />
    </section>
  );
}
