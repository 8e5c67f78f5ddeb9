// What can be done with one version of a CAB, each confirmed in a dialog that says exactly what
// will be recorded: an install, an approval, a rejection (with the reason the developer needs),
// a promotion (with a second, explicit confirmation before replacing another file).

import { useRef, useState, type FormEvent, type ReactNode, type RefObject } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { Board } from "../../bindings/Board";
import type { CabCard } from "../../bindings/CabCard";
import type { Promoted } from "../../bindings/Promoted";
import type { VersionState } from "../../bindings/VersionState";
import { environmentName, shortCommit } from "../../lib/cab";
import { formatDateTime } from "../../lib/format";
import { Dialog } from "../Dialog";
import { SelectField, TextAreaField } from "../settings/Field";
import { useFocusAfterRender } from "../settings/edits";

interface VersionDialogProps {
  board: Board;
  card: CabCard;
  version: VersionState;
  client: Api;
  onClose: () => void;
}

/** Sends one action at a time; a failure stays in the dialog, focused, with nothing changed. */
function useSend() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const problemRef = useRef<HTMLDivElement>(null);
  const focusNext = useFocusAfterRender();
  /** `handle` may take an error over (returning true), e.g. to ask a question about it. */
  const send = async <T,>(
    action: () => Promise<T>,
    done: (value: T) => void,
    handle?: (error: BackendError) => boolean,
  ) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const value = await action();
      done(value);
    } catch (e) {
      const err = toBackendError(e);
      setBusy(false);
      if (handle?.(err)) return;
      setError(err);
      focusNext(() => problemRef.current);
    }
  };
  return { busy, error, problemRef, send };
}

function Problem({ error, problemRef }: { error: BackendError | null; problemRef: RefObject<HTMLDivElement | null> }) {
  if (!error) return null;
  return (
    <div ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
      <p className="wrap">Nothing was changed: {error.message}</p>
    </div>
  );
}

function Subject({ card, version }: { card: CabCard; version: VersionState }) {
  return (
    <>
      version {version.version} of <strong className="wrap">{card.name}</strong>
    </>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Hash({ sha256 }: { sha256: string | null }) {
  return sha256 ? <code className="cab-hash">{sha256}</code> : <span className="muted">read when recorded</span>;
}

function Actions({
  busy,
  label,
  busyLabel,
  danger = false,
  onClose,
}: {
  busy: boolean;
  label: string;
  busyLabel: string;
  danger?: boolean;
  onClose: () => void;
}) {
  return (
    <div className="settings-actions">
      <button type="submit" className={danger ? "danger" : "primary"} aria-disabled={busy || undefined}>
        {busy ? busyLabel : label}
      </button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
    </div>
  );
}

export function InstallDialog({
  board,
  card,
  version,
  client,
  onDone,
  onClose,
}: VersionDialogProps & { onDone: (state: VersionState, environment: string) => void }) {
  const here = new Set(version.installs.map((p) => p.target));
  const [environment, setEnvironment] = useState(
    () => board.environments.find((e) => !here.has(e.id))?.id ?? board.environments[0]?.id ?? "",
  );
  const { busy, error, problemRef, send } = useSend();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(
      () => client.cabInstall(card.name, version.commit, environment),
      (state) => onDone(state, environment),
    );
  };
  const options = board.environments.map((env, i) => {
    const now = card.installed[i];
    return {
      value: env.id,
      label: now ? `${env.name} (version ${now.version} there now)` : env.name,
    };
  });
  return (
    <Dialog title="Record install" onClose={onClose}>
      <form className="dialog-form" noValidate onSubmit={submit}>
        <p>
          Record that <Subject card={card} version={version} /> (<code>{shortCommit(version.commit)}</code>) is
          installed in:
        </p>
        <SelectField
          label="Environment"
          name="environment"
          value={environment}
          onChange={setEnvironment}
          options={options}
          hint="Recorded as a comment on the version's commit in Bitbucket. opsdeck installs nothing itself."
        />
        <Problem error={error} problemRef={problemRef} />
        <Actions busy={busy} label="Record install" busyLabel="Recording…" onClose={onClose} />
      </form>
    </Dialog>
  );
}

export function ApproveDialog({
  board,
  card,
  version,
  client,
  onDone,
  onClose,
}: VersionDialogProps & { onDone: (state: VersionState) => void }) {
  const { busy, error, problemRef, send } = useSend();
  const counted = version.approvals.filter((a) => a.counts).length;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(() => client.cabApprove(card.name, version.commit), onDone);
  };
  const identity = board.roles?.identity;
  return (
    <Dialog title="Approve version" onClose={onClose}>
      <form className="dialog-form" noValidate onSubmit={submit}>
        <p>
          Approve <Subject card={card} version={version} />?
        </p>
        <dl className="cab-facts cab-facts-single">
          <Fact term="Commit">
            <code>{shortCommit(version.commit)}</code>, {version.author}, {formatDateTime(version.date)}
          </Fact>
          <Fact term="SHA-256 (the bytes approved)">
            <Hash sha256={version.sha256} />
          </Fact>
          <Fact term="Installed in">
            {version.installs.length === 0 ? (
              <span className="cab-warn">not recorded in any environment</span>
            ) : (
              version.installs.map((p) => environmentName(board, p.target)).join(", ")
            )}
          </Fact>
          <Fact term="Approvals">
            {counted} of {board.required_approvals} so far
          </Fact>
        </dl>
        <p className="muted">
          The approval covers exactly these bytes
          {identity ? ` and is recorded in Bitbucket as ${identity.display_name || identity.name}` : ""}.
        </p>
        <Problem error={error} problemRef={problemRef} />
        <Actions busy={busy} label="Approve" busyLabel="Approving…" onClose={onClose} />
      </form>
    </Dialog>
  );
}

export function RejectDialog({
  card,
  version,
  client,
  onDone,
  onClose,
}: VersionDialogProps & { onDone: (state: VersionState, reason: string) => void }) {
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | null>(null);
  const { busy, error, problemRef, send } = useSend();
  const formRef = useRef<HTMLFormElement>(null);
  const focusNext = useFocusAfterRender();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const text = reason.trim();
    if (text === "") {
      setReasonError("Give a reason the developer can act on.");
      focusNext(() => formRef.current?.querySelector<HTMLElement>("textarea"));
      return;
    }
    setReasonError(null);
    void send(
      () => client.cabReject(card.name, version.commit, text),
      (state) => onDone(state, text),
    );
  };
  return (
    <Dialog title="Reject version" onClose={onClose}>
      <form ref={formRef} className="dialog-form" noValidate onSubmit={submit}>
        <p>
          Reject <Subject card={card} version={version} /> (<code>{shortCommit(version.commit)}</code>)? It cannot
          be promoted while the rejection stands; an approval from you later replaces it.
        </p>
        <TextAreaField
          label="Reason"
          name="reason"
          value={reason}
          onChange={setReason}
          errors={reasonError ? [reasonError] : undefined}
          hint="What is wrong and what would fix it. Shown with the version and in the audit log."
        />
        <Problem error={error} problemRef={problemRef} />
        <Actions busy={busy} label="Reject" busyLabel="Rejecting…" danger onClose={onClose} />
      </form>
    </Dialog>
  );
}

export function PromoteDialog({
  board,
  card,
  version,
  client,
  onDone,
  onClose,
}: VersionDialogProps & { onDone: (promoted: Promoted) => void }) {
  const { busy, error, problemRef, send } = useSend();
  const [exists, setExists] = useState<BackendError | null>(null);
  const existsRef = useRef<HTMLDivElement>(null);
  const focusNext = useFocusAfterRender();
  const approvers = version.approvals.filter((a) => a.counts);
  const newest = version.version === card.versions;
  const elsewhere = card.promoted && card.promoted.version !== version.version ? card.promoted : null;

  const promote = async (replace: boolean) => {
    await send(
      () => client.cabPromote(card.name, version.commit, replace),
      (promoted) => onDone(promoted),
      // A different file of the same name at the destination: asked about once more, on its own.
      (e) => {
        if (e.code !== "exists" || replace) return false;
        setExists(e);
        focusNext(() => existsRef.current);
        return true;
      },
    );
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void promote(false);
  };

  return (
    <Dialog title="Promote version" onClose={onClose}>
      <form className="dialog-form" noValidate onSubmit={submit}>
        <p>
          Promote <Subject card={card} version={version} /> to the destination?
        </p>
        <dl className="cab-facts cab-facts-single">
          <Fact term="Destination">
            {board.destination ? <code className="wrap">{board.destination}</code> : <span>not configured</span>}
          </Fact>
          <Fact term="SHA-256">
            <Hash sha256={version.sha256} />
          </Fact>
          <Fact term="Approved by">
            {approvers.length === 0 ? <span className="muted">nobody</span> : approvers.map((a) => a.by).join(", ")}
          </Fact>
          <Fact term="Commit">
            <code>{shortCommit(version.commit)}</code>, {version.author}, {formatDateTime(version.date)}
          </Fact>
        </dl>
        {!newest && (
          <p className="cab-warn">
            This is not the newest version: version {card.versions} is.
          </p>
        )}
        {elsewhere && (
          <p className="cab-warn">
            Version {elsewhere.version} was promoted on {formatDateTime(elsewhere.at)} by {elsewhere.by}.
          </p>
        )}
        <p className="muted">
          The file is copied with a manifest beside it, only if its bytes match the approved SHA-256, and the commit
          is tagged.
        </p>
        {exists ? (
          <div ref={existsRef} tabIndex={-1} className="banner banner-warn settings-problem" role="alert">
            <p>
              <strong>A different file named {card.name} is at the destination.</strong>
            </p>
            <p className="wrap">{exists.message}</p>
            <p>Replace it with version {version.version}? The other file is overwritten.</p>
            <div className="settings-actions">
              <button
                type="button"
                className="danger"
                aria-disabled={busy || undefined}
                onClick={() => void promote(true)}
              >
                {busy ? "Replacing…" : "Replace it"}
              </button>
              <button type="button" onClick={onClose}>
                Cancel
              </button>
            </div>
          </div>
        ) : null}
        <Problem error={error} problemRef={problemRef} />
        {!exists && <Actions busy={busy} label="Promote" busyLabel="Promoting…" onClose={onClose} />}
      </form>
    </Dialog>
  );
}

/** The pull-request flow: a pull request of the version into the release branch, for approvers to review. */
export function ReviewDialog({
  board,
  card,
  version,
  client,
  onDone,
  onClose,
}: VersionDialogProps & { onDone: (state: VersionState) => void }) {
  const { busy, error, problemRef, send } = useSend();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(() => client.cabRequestReview(card.name, version.commit), onDone);
  };
  const previous = version.pull_request;
  return (
    <Dialog title="Request review" onClose={onClose}>
      <form className="dialog-form" noValidate onSubmit={submit}>
        <p>
          Open a pull request of <Subject card={card} version={version} /> for the approvers to review?
        </p>
        <dl className="cab-facts cab-facts-single">
          <Fact term="Into">
            {board.destination ? <span className="wrap">{board.destination}</span> : <span>the release branch</span>}
          </Fact>
          <Fact term="Commit">
            <code>{shortCommit(version.commit)}</code>, {version.author}, {formatDateTime(version.date)}
          </Fact>
          <Fact term="SHA-256">
            <Hash sha256={version.sha256} />
          </Fact>
        </dl>
        {previous && (
          <p className="cab-warn">
            Pull request #{previous.id} was {previous.state.toLowerCase()}: this opens a new one.
          </p>
        )}
        <p className="muted">Approvals and rejections then go on the pull request; promoting merges it.</p>
        <Problem error={error} problemRef={problemRef} />
        <Actions busy={busy} label="Request review" busyLabel="Opening…" onClose={onClose} />
      </form>
    </Dialog>
  );
}
