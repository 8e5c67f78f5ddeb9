import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { CheckDetail } from "../bindings/CheckDetail";
import type { CheckResult } from "../bindings/CheckResult";
import type { CheckView } from "../bindings/CheckView";
import type { History } from "../bindings/History";
import type { HistoryWindow } from "../bindings/HistoryWindow";
import { Ago } from "../components/Ago";
import { CheckAlerts } from "../components/alerts/CheckAlerts";
import { CheckFigures, figureKind } from "../components/CheckFigures";
import { SetCredentialDialog } from "../components/credentials/SetCredentialDialog";
import { EpicorFacts } from "../components/environments/EpicorFacts";
import { LatencyChart } from "../components/LatencyChart";
import { HeartbeatFacts, PrometheusFacts, PushFacts, QueueFacts } from "../components/ResultFacts";
import { StatusBadge } from "../components/StatusBadge";
import {
  readCredential,
  readEntries,
  readEpicor,
  readHeartbeat,
  readPrometheus,
  readPush,
  readQueue,
  readTls,
  readWarnings,
  type CredentialIssue,
} from "../lib/details";
import { formatDateTime, formatLatency, formatSpan, formatUptime, parseTime } from "../lib/format";
import { canAdminister, canRunChecks, useCaller } from "../lib/roles";
import { CREDENTIALS_HREF, OVERVIEW_HREF } from "../lib/route";

const DAY_MS = 86_400_000;

const WINDOWS: readonly { id: HistoryWindow; label: string; long: string; ms: number }[] = [
  { id: "24h", label: "24 h", long: "last 24 hours", ms: DAY_MS },
  { id: "7d", label: "7 d", long: "last 7 days", ms: 7 * DAY_MS },
  { id: "30d", label: "30 d", long: "last 30 days", ms: 30 * DAY_MS },
  { id: "1y", label: "1 y", long: "last year", ms: 365 * DAY_MS },
];

/** `CheckDetail.history` is always the last 24 hours in 5-minute buckets. */
const DETAIL_BUCKET_SECONDS = 300;

type Loaded<T> = { data: T; at: number };
type RunState =
  | { state: "idle" }
  | { state: "running" }
  | { state: "done"; results: CheckResult[] }
  | { state: "failed"; error: BackendError };

export interface CheckPageProps {
  backend: Backend;
  id: string;
  /** The check as the overview has it, shown until the detail arrives. */
  known: CheckView | null;
  /** Where "back" leads: the list the check was opened from. */
  back?: BackTarget;
}

export interface BackTarget {
  href: string;
  /** e.g. "All checks" */
  label: string;
}

const ALL_CHECKS: BackTarget = { href: OVERVIEW_HREF, label: "All checks" };

export function CheckPage({ backend, id, known, back = ALL_CHECKS }: CheckPageProps) {
  const client = useMemo(() => api(backend), [backend]);
  const [detail, setDetail] = useState<Loaded<CheckDetail> | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [windowId, setWindowId] = useState<HistoryWindow>("24h");
  const [history, setHistory] = useState<Loaded<History> | null>(null);
  const [historyError, setHistoryError] = useState<BackendError | null>(null);
  const [run, setRun] = useState<RunState>({ state: "idle" });
  const [settingCredential, setSettingCredential] = useState<CredentialIssue | null>(null);
  const [notice, setNotice] = useState({ text: "", seq: 0 });
  const caller = useCaller();
  const announce = useCallback((text: string) => setNotice((n) => ({ text, seq: n.seq + 1 })), []);

  const loadDetail = useCallback(
    () =>
      client.checkDetail(id).then(
        (data) => {
          setDetail({ data, at: Date.now() });
          setError(null);
        },
        (e: unknown) => setError(toBackendError(e)),
      ),
    [client, id],
  );

  useEffect(() => {
    void loadDetail();
  }, [loadDetail]);

  // Live: newer results replace the check, transitions are prepended.
  useEffect(
    () =>
      backend.subscribe((event) => {
        if (event.kind === "result" && event.check.id === id) {
          const incoming = event.check;
          setDetail((d) => {
            if (d === null) return d;
            const before = parseTime(d.data.check.checked_at) ?? 0;
            const after = parseTime(incoming.checked_at) ?? 0;
            return after < before ? d : { ...d, data: { ...d.data, check: incoming } };
          });
        } else if (event.kind === "transition" && event.transition.id === id) {
          const t = event.transition;
          setDetail((d) =>
            d === null ? d : { ...d, data: { ...d.data, transitions: [t, ...d.data.transitions] } },
          );
        }
      }),
    [backend, id],
  );

  useEffect(() => {
    if (windowId === "24h") return;
    let cancelled = false;
    client.history(id, windowId).then(
      (data) => {
        if (cancelled) return;
        setHistory({ data, at: Date.now() });
        setHistoryError(null);
      },
      (e: unknown) => {
        if (!cancelled) setHistoryError(toBackendError(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, id, windowId]);

  const checkNow = async () => {
    setRun({ state: "running" });
    try {
      const results = await client.checkNow(id);
      setRun({ state: "done", results });
      await loadDetail();
    } catch (e) {
      setRun({ state: "failed", error: toBackendError(e) });
    }
  };

  const check = detail?.data.check ?? known;
  const title = check?.name ?? id;

  if (detail === null && error !== null) {
    return (
      <main className="page">
        <BackLink to={back} />
        <h1 tabIndex={-1}>{title}</h1>
        <div className="banner banner-error" role="alert">
          <p>
            {error.code === "not_found"
              ? `There is no check “${id}”. It may have been removed from the configuration.`
              : `Cannot load this check: ${error.message}`}
          </p>
          {error.code !== "not_found" && (
            <button type="button" onClick={() => void loadDetail()}>
              Try again
            </button>
          )}
        </div>
      </main>
    );
  }

  const win = WINDOWS.find((w) => w.id === windowId) ?? WINDOWS[0]!;
  let chart: ReactNode;
  if (windowId === "24h") {
    chart = detail && (
      <LatencyChart
        points={detail.data.history}
        endMs={detail.at}
        windowMs={win.ms}
        bucketSeconds={DETAIL_BUCKET_SECONDS}
        windowLabel={win.long}
      />
    );
  } else if (history && history.data.window === windowId && history.data.id === id) {
    chart = (
      <LatencyChart
        points={history.data.points}
        endMs={history.at}
        windowMs={win.ms}
        bucketSeconds={history.data.bucket_seconds}
        windowLabel={win.long}
      />
    );
  } else if (historyError) {
    chart = (
      <p className="banner banner-error" role="alert">
        Cannot load the history: {historyError.message}
      </p>
    );
  } else {
    chart = (
      <p className="muted" role="status">
        Loading history…
      </p>
    );
  }

  const details = check?.details ?? {};
  const credential = readCredential(details);
  const entries = readEntries(details);
  const tls = readTls(details);
  // An Epicor environment's warnings are in its own block, with its problems.
  const warnings = check?.type === "epicor" && readEpicor(details) ? [] : readWarnings(details);
  const figures = check ? figureKind(check) : null;

  return (
    <main className="page detail">
      <BackLink to={back} />
      <header className="detail-head">
        <h1 tabIndex={-1}>{title}</h1>
        {check && <StatusBadge status={check.status} className="status-large" />}
      </header>

      <div className="detail-status" role="status" aria-live="polite">
        {notice.text && <p key={notice.seq}>{notice.text}</p>}
      </div>

      {check && credential && (
        <CredentialCallout
          issue={credential}
          message={check.message}
          admin={canAdminister(caller)}
          onSet={() => setSettingCredential(credential)}
        />
      )}

      {check && (
        <>
          <p className="detail-message">{check.message || <span className="muted">No message</span>}</p>
          {check.last_status !== check.status && (
            <p className="row-pending">
              Newest result, not confirmed yet: <StatusBadge status={check.last_status} />
            </p>
          )}
          <dl className="facts">
            <div>
              <dt>Since</dt>
              <dd>
                {check.since ? (
                  <>
                    {formatDateTime(check.since)} (<Ago iso={check.since} text={(s) => `for ${s}`} />)
                  </>
                ) : (
                  "—"
                )}
              </dd>
            </div>
            <div>
              <dt>Last checked</dt>
              <dd>
                <Ago iso={check.checked_at} empty="not checked yet" />
              </dd>
            </div>
            <div>
              <dt>Latency</dt>
              <dd>{formatLatency(check.latency_ms)}</dd>
            </div>
            <div>
              <dt>Target</dt>
              <dd className="wrap">
                {check.target ? (
                  /^https?:\/\//i.test(check.target) ? (
                    <a href={check.target} target="_blank" rel="noreferrer">
                      {check.target}
                    </a>
                  ) : (
                    check.target
                  )
                ) : (
                  "—"
                )}
              </dd>
            </div>
            <div>
              <dt>Environment</dt>
              <dd>{check.environment ?? "—"}</dd>
            </div>
            <div>
              <dt>Type and interval</dt>
              <dd>
                {check.type}, every {formatSpan(check.interval_s)}
              </dd>
            </div>
            {check.tags.length > 0 && (
              <div>
                <dt>Tags</dt>
                <dd>
                  <ul className="tags">
                    {check.tags.map((t) => (
                      <li key={t}>{t}</li>
                    ))}
                  </ul>
                </dd>
              </div>
            )}
            {tls && (
              <div>
                <dt>TLS certificate</dt>
                <dd>
                  {tls.days_left < 0
                    ? `expired ${-tls.days_left} days ago`
                    : `expires in ${tls.days_left} ${tls.days_left === 1 ? "day" : "days"}`}
                  {tls.not_after && ` (${formatDateTime(tls.not_after)})`}
                </dd>
              </div>
            )}
          </dl>
        </>
      )}

      <div className="run">
        {canRunChecks(caller) && (
          <button type="button" onClick={() => void checkNow()} disabled={run.state === "running"}>
            {run.state === "running" ? "Checking…" : "Check now"}
          </button>
        )}
        <div className="run-result" role="status" aria-live="polite">
          {run.state === "done" &&
            run.results.map((r, i) => (
              <p key={`${r.id}-${i}`}>
                <StatusBadge status={r.status} /> {r.message} ({formatLatency(r.latency_ms)})
              </p>
            ))}
          {run.state === "failed" && <p className="error-text">Check failed to run: {run.error.message}</p>}
        </div>
      </div>

      {warnings.length > 0 && (
        <section className="banner banner-warn" aria-label="Warnings">
          <ul>
            {warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </section>
      )}

      {detail && <CheckAlerts backend={backend} client={client} id={id} name={title} announce={announce} />}

      {check && <TypeFacts check={check} />}

      {check && figures && <CheckFigures client={client} check={check} kind={figures} />}

      {detail && (
        <section aria-labelledby="uptime-h">
          <h2 id="uptime-h">Uptime</h2>
          <dl className="uptime">
            {(
              [
                ["24 hours", detail.data.uptime.h24],
                ["7 days", detail.data.uptime.d7],
                ["30 days", detail.data.uptime.d30],
                ["1 year", detail.data.uptime.y1],
              ] as const
            ).map(([label, ratio]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{formatUptime(ratio)}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}

      {entries && entries.length > 0 && (
        <section aria-labelledby="entries-h">
          <h2 id="entries-h">Health report entries</h2>
          <table className="entries">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Description</th>
                <th scope="col">Exception</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={`${e.name}-${i}`}>
                  <th scope="row" data-label="Name">
                    {e.name}
                  </th>
                  <td data-label="Status">
                    <StatusBadge status={e.status} />
                  </td>
                  <td data-label="Duration">{formatLatency(e.duration_ms)}</td>
                  <td data-label="Description" className="wrap">
                    {e.description ?? "—"}
                  </td>
                  <td data-label="Exception" className="wrap">
                    {e.exception ? (
                      <details>
                        <summary>Show exception</summary>
                        <pre>{e.exception}</pre>
                      </details>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section aria-labelledby="latency-h">
        <div className="section-head">
          <h2 id="latency-h">Latency</h2>
          <div className="segmented" role="group" aria-label="History window">
            {WINDOWS.map((w) => (
              <button
                key={w.id}
                type="button"
                aria-pressed={w.id === windowId}
                aria-label={`Show ${w.long}`}
                onClick={() => setWindowId(w.id)}
              >
                {w.label}
              </button>
            ))}
          </div>
        </div>
        {chart}
      </section>

      {detail && (
        <section aria-labelledby="transitions-h">
          <h2 id="transitions-h">Status changes</h2>
          {detail.data.transitions.length === 0 ? (
            <p className="muted">No status changes recorded.</p>
          ) : (
            <ol className="transitions">
              {detail.data.transitions.map((t) => (
                <li key={`${t.at}-${t.to}`}>
                  <time dateTime={t.at}>{formatDateTime(t.at)}</time>
                  <span className="transition-change">
                    {t.from ? (
                      <StatusBadge status={t.from} />
                    ) : (
                      <span className="muted">
                        <span aria-hidden="true">—</span>
                        <span className="sr-only">no status</span>
                      </span>
                    )}
                    <span aria-hidden="true"> → </span>
                    <span className="sr-only"> to </span>
                    <StatusBadge status={t.to} />
                  </span>
                  <span className="transition-reason">{t.reason}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      )}

      {settingCredential && (
        <SetCredentialDialog
          mode={{ kind: settingCredential.problem === "invalid" ? "replace" : "set", name: settingCredential.name }}
          client={client}
          onStored={(name) => {
            setSettingCredential(null);
            announce(`Stored credential ${name}. The checks that use it run again now.`);
            // The engine re-runs the checks that use it; live results follow as they come.
            void loadDetail();
          }}
          onClose={() => setSettingCredential(null)}
        />
      )}
    </main>
  );
}

interface CredentialCalloutProps {
  issue: CredentialIssue;
  /** The result's message, which says what is wrong when the credential is there but unusable. */
  message: string;
  admin: boolean;
  onSet: () => void;
}

/** Why the check has no real result: it could not read its credential. */
function CredentialCallout({ issue, message, admin, onSet }: CredentialCalloutProps) {
  // Setting a value helps when it is missing or unusable, not while the keychain is locked or
  // absent: the message then says how to fix that.
  const settable = issue.problem === "missing" || issue.problem === "invalid";
  return (
    <section className="banner banner-warn credential-callout" aria-label="Credential problem">
      <p>
        {issue.problem === "missing" ? (
          <>
            <strong>
              Credential <code className="wrap">{issue.name}</code> is not in the keychain.
            </strong>{" "}
            The check cannot sign in until it is set.
          </>
        ) : (
          <strong className="wrap">{message || `Credential ${issue.name} cannot be read.`}</strong>
        )}
      </p>
      {admin ? (
        <div className="settings-actions">
          {settable && (
            <button type="button" onClick={onSet}>
              Set credential
            </button>
          )}
          <a href={CREDENTIALS_HREF}>All credentials</a>
        </div>
      ) : (
        settable && <p>Ask an admin to set it.</p>
      )}
    </section>
  );
}

/** The summary of what this type of check measured, when its details say. */
function TypeFacts({ check }: { check: CheckView }) {
  const d = check.details;
  switch (check.type) {
    case "rabbitmq": {
      const queue = readQueue(d);
      return queue && <QueueFacts queue={queue} />;
    }
    case "heartbeat-file": {
      const beat = readHeartbeat(d);
      return beat && <HeartbeatFacts beat={beat} />;
    }
    case "push": {
      const push = readPush(d);
      return push && <PushFacts push={push} />;
    }
    case "prometheus": {
      const sample = readPrometheus(d);
      return sample && <PrometheusFacts sample={sample} />;
    }
    case "epicor": {
      const env = readEpicor(d);
      return env && <EpicorFacts env={env} />;
    }
    default:
      return null;
  }
}

function BackLink({ to }: { to: BackTarget }) {
  return (
    <a className="back" href={to.href}>
      ← {to.label}
    </a>
  );
}
