// Credentials: the keychain entries the checks sign in with. Values are only ever written,
// never read back: the engine has no method that returns one.

import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { CheckResult } from "../bindings/CheckResult";
import type { CredentialView } from "../bindings/CredentialView";
import type { Credentials } from "../bindings/Credentials";
import type { Overview } from "../bindings/Overview";
import { Ago } from "../components/Ago";
import { ConfirmAction } from "../components/ConfirmAction";
import { CredentialStateBadge } from "../components/credentials/CredentialStateBadge";
import {
  SetCredentialDialog,
  type SetCredentialMode,
} from "../components/credentials/SetCredentialDialog";
import { useFocusAfterRender } from "../components/settings/edits";
import { StatusBadge } from "../components/StatusBadge";
import { formatDateTime, formatLatency } from "../lib/format";
import { canAdminister, canRunChecks, ROLE_LABEL, useCaller } from "../lib/roles";
import { ALERTS_HREF, checkHref, SETTINGS_HREF } from "../lib/route";
import "../settings.css";

type TestState =
  | { state: "running" }
  | { state: "done"; results: CheckResult[] }
  | { state: "failed"; error: BackendError };

const BLOCKED = new Set(["locked", "unavailable"]);

export interface CredentialsPageProps {
  backend: Backend;
  /** For the names of the checks that use each credential. */
  overview: Overview | null;
}

export function CredentialsPage({ backend, overview }: CredentialsPageProps) {
  const caller = useCaller();
  if (!canAdminister(caller)) {
    return (
      <main className="page settings">
        <h1 tabIndex={-1}>Credentials</h1>
        <div className="banner banner-warn">
          <p>
            Only an admin can see and change credentials. You are signed in as {caller.name} (
            {ROLE_LABEL[caller.role]}).
          </p>
        </div>
      </main>
    );
  }
  return <CredentialsList backend={backend} overview={overview} />;
}

function CredentialsList({ backend, overview }: CredentialsPageProps) {
  const client = useMemo(() => api(backend), [backend]);
  const caller = useCaller();
  const [data, setData] = useState<Credentials | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [dialog, setDialog] = useState<SetCredentialMode | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, TestState>>({});
  const [status, setStatus] = useState({ text: "", seq: 0 });
  const headingRef = useRef<HTMLHeadingElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const focusNext = useFocusAfterRender();

  const announce = useCallback((text: string) => setStatus((s) => ({ text, seq: s.seq + 1 })), []);

  const load = useCallback(
    () =>
      client.credentials().then(
        (c) => {
          setData(c);
          setLoadError(null);
        },
        (e: unknown) => setLoadError(toBackendError(e)),
      ),
    [client],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const checkNames = useMemo(() => {
    const names = new Map<string, string>();
    for (const env of overview?.environments ?? []) for (const c of env.checks) names.set(c.id, c.name);
    return names;
  }, [overview]);

  const findButton = (action: string, name: string) => () =>
    [...(listRef.current?.querySelectorAll<HTMLElement>(`[data-action="${action}"]`) ?? [])].find(
      (el) => el.dataset.item === name,
    );

  const remove = async (name: string) => {
    try {
      setData(await client.deleteCredential(name));
      setConfirming(null);
      announce(`Deleted credential ${name}. Checks that use it fail until it is set again.`);
      // Its buttons may be gone (a credential no check uses): the heading is a safe place.
      focusNext(() => findButton("set", name)() ?? headingRef.current);
      return null;
    } catch (e) {
      return toBackendError(e);
    }
  };

  const test = async (name: string) => {
    setTests((t) => ({ ...t, [name]: { state: "running" } }));
    try {
      const results = await client.testCredential(name);
      setTests((t) => ({ ...t, [name]: { state: "done", results } }));
      // Testing reads the keychain again: an unlocked keychain shows up at once.
      void load();
    } catch (e) {
      setTests((t) => ({ ...t, [name]: { state: "failed", error: toBackendError(e) } }));
    }
  };

  const stored = (name: string, credentials: Credentials) => {
    setData(credentials);
    setDialog(null);
    announce(`Stored credential ${name}. The checks that use it run again now.`);
  };

  const credentials = data?.credentials ?? [];
  const editable = data?.editable ?? false;
  const blocked = credentials.length > 0 && credentials.every((c) => BLOCKED.has(c.state));
  const blockedProblems = blocked
    ? [...new Set(credentials.map((c) => c.problem).filter((p): p is string => p !== null && p !== ""))]
    : [];

  return (
    <main className="page settings credentials">
      <div className="section-head">
        <h1 ref={headingRef} tabIndex={-1}>
          Credentials
        </h1>
        {data && editable && (
          <button
            type="button"
            onClick={() => setDialog({ kind: "add", existing: credentials.map((c) => c.name) })}
          >
            Add credential
          </button>
        )}
      </div>
      <p className="muted">
        The passwords and tokens checks sign in with, kept in the system keychain of the computer opsdeck
        runs on. Their values are never shown: they can only be set, replaced or deleted.
      </p>
      <div className="settings-status" role="status" aria-live="polite">
        {status.text && <p key={status.seq}>{status.text}</p>}
      </div>

      {data === null && loadError === null && <p className="muted">Loading the credentials…</p>}
      {loadError && (
        <div className="banner banner-error" role="alert">
          <p>Cannot load the credentials: {loadError.message}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}

      {data && !editable && (
        <div className="banner banner-warn">
          <p>
            <strong>Credentials cannot be changed here.</strong>
          </p>
          <p>
            opsdeck is running the built-in demo estate, which stores nothing in the keychain. Create a
            configuration file in <a href={SETTINGS_HREF}>Settings</a> to monitor your own checks and store
            their credentials.
          </p>
        </div>
      )}

      {blocked && (
        <div className="banner banner-warn credentials-blocked">
          <p>
            <strong>The keychain cannot be read, so no credential is available to the checks.</strong>
          </p>
          {blockedProblems.map((p) => (
            <p key={p} className="settings-reason">
              {p}
            </p>
          ))}
        </div>
      )}

      {data && credentials.length === 0 && (
        <p className="muted">
          No check uses a credential yet. A check names a keychain entry for its password or bearer token in
          its Sign-in settings; it is listed here then.
        </p>
      )}

      {credentials.length > 0 && (
        <ul ref={listRef} className="settings-list" aria-label="Credentials">
          {credentials.map((c) => (
            <CredentialItem
              key={c.name}
              credential={c}
              checkNames={checkNames}
              editable={editable}
              canTest={canRunChecks(caller)}
              showProblem={!blocked}
              test={tests[c.name]}
              confirming={confirming === c.name}
              onSet={() => setDialog({ kind: c.state === "stored" ? "replace" : "set", name: c.name })}
              onDelete={() => setConfirming(c.name)}
              onCancelDelete={() => {
                setConfirming(null);
                focusNext(findButton("delete", c.name));
              }}
              onConfirmDelete={() => remove(c.name)}
              onTest={() => void test(c.name)}
            />
          ))}
        </ul>
      )}

      {dialog && (
        <SetCredentialDialog mode={dialog} client={client} onStored={stored} onClose={() => setDialog(null)} />
      )}
    </main>
  );
}

interface CredentialItemProps {
  credential: CredentialView;
  checkNames: ReadonlyMap<string, string>;
  editable: boolean;
  canTest: boolean;
  /** The problem text, unless the page's banner already says it for every credential. */
  showProblem: boolean;
  test: TestState | undefined;
  confirming: boolean;
  onSet: () => void;
  onDelete: () => void;
  onCancelDelete: () => void;
  onConfirmDelete: () => Promise<BackendError | null>;
  onTest: () => void;
}

function CredentialItem({
  credential: c,
  checkNames,
  editable,
  canTest,
  showProblem,
  test,
  confirming,
  onSet,
  onDelete,
  onCancelDelete,
  onConfirmDelete,
  onTest,
}: CredentialItemProps) {
  const nameId = useId();
  const isStored = c.state === "stored";
  // Writing is pointless while the keychain itself cannot be reached.
  const writable = editable && (c.state === "stored" || c.state === "missing");
  return (
    <li className="settings-item cred-item" aria-labelledby={nameId}>
      <div className="cred-head">
        <h2 id={nameId} className="cred-name">
          <code>{c.name}</code>
        </h2>
        <CredentialStateBadge state={c.state} />
      </div>
      <dl className="cred-facts">
        <div>
          <dt>Used by</dt>
          <dd>
            {c.used_by.length === 0 && c.channels.length === 0 && !c.cab ? (
              <span className="muted">No check</span>
            ) : (
              <ul className="cred-uses">
                {c.used_by.map((id) => (
                  <li key={id}>
                    <a href={checkHref(id)}>{checkNames.get(id) ?? id}</a>
                  </li>
                ))}
                {/* A notification channel (an SMTP password, a webhook URL): Test sends it a test. */}
                {c.channels.map((id) => (
                  <li key={`channel:${id}`}>
                    <a href={ALERTS_HREF}>Channel {id}</a>
                  </li>
                ))}
                {/* The Bitbucket token of the CAB workflow: Test signs in to Bitbucket with it. */}
                {c.cab && <li key="cab">CAB workflow (Bitbucket)</li>}
              </ul>
            )}
          </dd>
        </div>
        <div>
          <dt>Last set</dt>
          <dd>
            {c.last_set === null ? (
              "—"
            ) : (
              <>
                <Ago iso={c.last_set} /> ({formatDateTime(c.last_set)})
              </>
            )}
          </dd>
        </div>
      </dl>
      {showProblem && !isStored && c.problem && <p className="cred-problem settings-reason">{c.problem}</p>}

      {confirming ? (
        <ConfirmAction
          question={`Delete credential ${c.name}?`}
          note={
            c.used_by.length > 0 || c.channels.length > 0 || c.cab
              ? "The checks, channels and workflows that use it fail until it is set again. This cannot be undone."
              : "This cannot be undone."
          }
          confirmLabel="Delete"
          busyLabel="Deleting…"
          onConfirm={onConfirmDelete}
          onCancel={onCancelDelete}
        />
      ) : (
        <div className="settings-item-actions">
          {writable && (
            <button type="button" data-action="set" data-item={c.name} onClick={onSet}>
              {isStored ? "Replace" : "Set"} <span className="sr-only">credential {c.name}</span>
            </button>
          )}
          {editable && isStored && (
            <button type="button" data-action="delete" data-item={c.name} onClick={onDelete}>
              Delete <span className="sr-only">credential {c.name}</span>
            </button>
          )}
          {canTest && (
            <button
              type="button"
              data-action="test"
              data-item={c.name}
              aria-disabled={test?.state === "running" || undefined}
              onClick={() => {
                if (test?.state !== "running") onTest();
              }}
            >
              {test?.state === "running" ? "Testing…" : "Test"}{" "}
              <span className="sr-only">credential {c.name}</span>
            </button>
          )}
        </div>
      )}

      <div className="cred-test" role="status" aria-live="polite">
        {test?.state === "done" &&
          (test.results.length === 0 ? (
            <p className="muted">No check uses this credential now; nothing was run.</p>
          ) : (
            <ul aria-label={`Test results for ${c.name}`}>
              {test.results.map((r, i) => (
                <li key={`${r.id}-${i}`}>
                  <StatusBadge status={r.status} /> <a href={checkHref(r.id)}>{r.name}</a>: {r.message} (
                  {formatLatency(r.latency_ms)})
                </li>
              ))}
            </ul>
          ))}
        {test?.state === "failed" && <p className="error-text">Could not test: {test.error.message}</p>}
      </div>
    </li>
  );
}
