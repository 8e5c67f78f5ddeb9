// Uploading a CAB: choose the file and say what changed, then confirm exactly what will be
// committed (file, size, SHA-256, where, as which version). The upload names the branch head the
// board was read at: when someone committed since, nothing is written and the page says so,
// offering to refresh; it never tries again by itself.

import { useId, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { Board } from "../../bindings/Board";
import type { Uploaded } from "../../bindings/Uploaded";
import {
  cardNamed,
  checkCabFile,
  formatByteCount,
  formatBytes,
  sha256Hex,
  shortCommit,
  toBase64,
} from "../../lib/cab";
import { Dialog } from "../Dialog";
import { TextField } from "../settings/Field";
import { useFocusAfterRender } from "../settings/edits";

interface Chosen {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** Null where the browser cannot compute it. */
  sha256: string | null;
}

export interface UploadDialogProps {
  board: Board;
  client: Api;
  /** Reads the board again (its head too); resolves with whether that worked. */
  onRefresh: () => Promise<boolean>;
  onUploaded: (uploaded: Uploaded) => void;
  onClose: () => void;
}

export function UploadDialog({ board, client, onRefresh, onUploaded, onClose }: UploadDialogProps) {
  const fileId = useId();
  const fileHintId = useId();
  const fileErrorId = useId();
  const reviewId = useId();
  const [chosen, setChosen] = useState<Chosen | null>(null);
  const [reading, setReading] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const [message, setMessage] = useState("");
  const [messageError, setMessageError] = useState<string | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const [refreshing, setRefreshing] = useState(false);
  const [refreshed, setRefreshed] = useState<boolean | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const reviewRef = useRef<HTMLHeadingElement>(null);
  const problemRef = useRef<HTMLDivElement>(null);
  const focusNext = useFocusAfterRender();

  const existing = chosen ? cardNamed(board, chosen.name) : null;
  const identical = existing !== null && chosen?.sha256 != null && chosen.sha256 === existing.sha256;
  const folder = board.path.replace(/^\/+|\/+$/g, "");
  const target = chosen ? (folder ? `${folder}/${chosen.name}` : chosen.name) : "";

  const choose = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    setChosen(null);
    setFileError(null);
    setError(null);
    if (!file) return;
    setReading(true);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const problem = checkCabFile(file.name, bytes);
      if (problem) {
        setFileError(problem);
        return;
      }
      setChosen({ name: file.name, bytes, sha256: await sha256Hex(bytes) });
    } catch (err) {
      setFileError(`Cannot read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setReading(false);
    }
  };

  const review = (e: FormEvent) => {
    e.preventDefault();
    if (reading) return;
    const badFile = fileError ?? (chosen ? null : "Choose the .cab file to upload.");
    const badMessage = message.trim() === "" ? "Say what changed: it becomes the commit message." : null;
    const badSame =
      !badFile && identical && existing
        ? `${existing.name} is identical to its newest version (${existing.versions}): there is nothing to upload.`
        : null;
    setFileError(badFile ?? badSame);
    setMessageError(badMessage);
    if (badFile || badMessage || badSame) {
      focusNext(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]'));
      return;
    }
    setError(null);
    setRefreshed(null);
    setReviewing(true);
    focusNext(() => reviewRef.current);
  };

  const commit = async () => {
    if (!chosen || sending) return;
    setSending(true);
    setError(null);
    setRefreshed(null);
    try {
      const uploaded = await client.cabUpload(chosen.name, toBase64(chosen.bytes), message.trim(), board.head);
      onUploaded(uploaded);
    } catch (err) {
      setSending(false);
      setError(toBackendError(err));
      focusNext(() => problemRef.current);
    }
  };

  const refresh = async () => {
    if (refreshing) return;
    setRefreshing(true);
    const ok = await onRefresh();
    setRefreshing(false);
    setRefreshed(ok);
    if (ok) setError(null);
    focusNext(() => reviewRef.current);
  };

  const conflict = error?.code === "conflict";

  return (
    <Dialog title="Upload a CAB" onClose={() => !sending && onClose()}>
      <form ref={formRef} className="dialog-form" noValidate hidden={reviewing} onSubmit={review}>
        <p>
          Commits the file to <code className="wrap">{folder || "/"}</code> on <code>{board.branch}</code> of{" "}
          <span className="wrap">{board.repository}</span>. A file named like a CAB on the board becomes its next
          version.
        </p>
        <div className={`field${fileError ? " field-invalid" : ""}`}>
          <label htmlFor={fileId}>CAB file</label>
          <input
            id={fileId}
            name="file"
            type="file"
            accept=".cab"
            onChange={(e) => void choose(e)}
            aria-invalid={fileError ? true : undefined}
            aria-describedby={[fileError ? fileErrorId : null, fileHintId].filter(Boolean).join(" ")}
          />
          {fileError && (
            <p id={fileErrorId} className="field-error">
              {fileError}
            </p>
          )}
          <p id={fileHintId} className="field-hint">
            {reading
              ? "Reading the file…"
              : chosen
                ? `${chosen.name}, ${formatBytes(chosen.bytes.length)}${existing ? `: version ${existing.versions + 1} of ${existing.name}` : ": a new CAB"}`
                : "A .cab exported from Solution Workbench, up to 100 MiB."}
          </p>
        </div>
        <TextField
          label="What changed"
          name="message"
          value={message}
          onChange={setMessage}
          errors={messageError ? [messageError] : undefined}
          hint="The commit message, e.g. “Orders: credit hold check”."
        />
        <div className="settings-actions">
          <button type="submit" className="primary" aria-disabled={reading || undefined}>
            Continue
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>

      {reviewing && chosen && (
        <div className="dialog-form cab-review" role="group" aria-labelledby={reviewId}>
          <h3 id={reviewId} ref={reviewRef} tabIndex={-1} className="cab-review-title">
            {existing
              ? `Commit version ${existing.versions + 1} of ${existing.name}?`
              : `Commit ${chosen.name} as a new CAB?`}
          </h3>
          <dl className="cab-facts cab-facts-single">
            <div>
              <dt>File</dt>
              <dd className="wrap">
                <code>{target}</code> on <code>{board.branch}</code>
              </dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>{formatByteCount(chosen.bytes.length)}</dd>
            </div>
            <div>
              <dt>SHA-256</dt>
              <dd>
                {chosen.sha256 ? (
                  <code className="cab-hash">{chosen.sha256}</code>
                ) : (
                  <span className="muted">computed by opsdeck once sent</span>
                )}
              </dd>
            </div>
            <div>
              <dt>Commit message</dt>
              <dd className="cab-message">{message.trim()}</dd>
            </div>
            <div>
              <dt>Repository</dt>
              <dd className="wrap">
                {board.repository}, as read at <code>{shortCommit(board.head)}</code>
              </dd>
            </div>
          </dl>
          <p className="muted">
            If anyone commits to <code>{board.branch}</code> before this is sent, nothing is written.
          </p>
          {sending && (
            <p className="cab-progress" role="status">
              Sending {formatBytes(chosen.bytes.length)} to Bitbucket…
            </p>
          )}
          {refreshed !== null && !error && (
            <p role="status" className={refreshed ? "muted" : "error-text"}>
              {refreshed
                ? "The board is up to date: check the summary, then commit again."
                : "Could not refresh the board: try again."}
            </p>
          )}
          {error && (
            <div
              ref={problemRef}
              tabIndex={-1}
              className="banner banner-error settings-problem"
              role="alert"
            >
              {conflict ? (
                <>
                  <p>
                    <strong>Someone committed to {board.branch} since the board was read:</strong> nothing was
                    written.
                  </p>
                  <p className="wrap">{error.message}</p>
                  <p>Refresh the board to see what changed, then commit again.</p>
                  <button type="button" aria-disabled={refreshing || undefined} onClick={() => void refresh()}>
                    {refreshing ? "Refreshing…" : "Refresh"}
                  </button>
                </>
              ) : (
                <p className="wrap">Nothing was committed: {error.message}</p>
              )}
            </div>
          )}
          <div className="settings-actions">
            <button
              type="button"
              className="primary"
              aria-disabled={sending || refreshing || conflict || undefined}
              onClick={() => {
                if (!conflict && !refreshing) void commit();
              }}
            >
              {sending ? "Committing…" : "Commit"}
            </button>
            <button
              type="button"
              aria-disabled={sending || undefined}
              onClick={() => {
                if (sending) return;
                setReviewing(false);
                setError(null);
                focusNext(() => formRef.current?.querySelector<HTMLElement>("input"));
              }}
            >
              Back
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
