// The CAB audit log: every upload, install, approval, rejection and promotion, failures
// included, newest first. Each entry carries the hash of the one before, so "Verify chain" can
// tell whether anything was changed or removed since it was written.

import { useState } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { AuditEntry } from "../../bindings/AuditEntry";
import type { Verification } from "../../bindings/Verification";
import { AUDIT_ACTION_LABEL, AUDIT_OUTCOME_LABEL, fileNameOf, shortCommit } from "../../lib/cab";
import { formatDateTime } from "../../lib/format";
import type { CabAudit } from "../../lib/useCabs";
import { withCode } from "../alerts/TimelineList";

export interface AuditLogProps {
  audit: CabAudit;
  /** The table's accessible name. */
  label: string;
  /** A single CAB's log: no CAB column. */
  oneCab?: boolean;
  empty: string;
}

/** The entries, newest first, with an "Older" button while there are more. */
export function AuditLog({ audit, label, oneCab = false, empty }: AuditLogProps) {
  const { entries, error } = audit;
  if (entries === null) {
    return error ? (
      <div className="banner banner-error" role="alert">
        <p>Cannot load the audit log: {error.message}</p>
        <button type="button" onClick={audit.reload}>
          Try again
        </button>
      </div>
    ) : (
      <p className="muted">Loading the audit log…</p>
    );
  }
  return (
    <>
      {error && <p className="error-text">Could not refresh the audit log: {error.message}</p>}
      {entries.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="log-table cab-audit" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              {!oneCab && <th scope="col">CAB</th>}
              <th scope="col">Version</th>
              <th scope="col">Who</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <AuditRow key={e.seq} entry={e} oneCab={oneCab} />
            ))}
          </tbody>
        </table>
      )}
      {audit.hasOlder && (
        <div className="timeline-more">
          <button type="button" aria-disabled={audit.loadingOlder || undefined} onClick={audit.loadOlder}>
            {audit.loadingOlder ? "Loading…" : "Older"} <span className="sr-only">audit entries</span>
          </button>
          {audit.olderError && (
            <p className="error-text" role="alert">
              Cannot load older entries: {audit.olderError.message}
            </p>
          )}
        </div>
      )}
    </>
  );
}

function AuditRow({ entry: e, oneCab }: { entry: AuditEntry; oneCab: boolean }) {
  const action = AUDIT_ACTION_LABEL[e.action] ?? e.action;
  const outcome = AUDIT_OUTCOME_LABEL[e.outcome] ?? e.outcome;
  return (
    <tr className={`cab-audit-${e.outcome}`} data-seq={e.seq}>
      <td data-label="Time">
        <time dateTime={e.at}>{formatDateTime(e.at)}</time>
      </td>
      <th scope="row" data-label="Action">
        <span className="cab-audit-action">{action}</span>{" "}
        <span className={`cab-outcome cab-outcome-${e.outcome}`}>{outcome}</span>
      </th>
      {!oneCab && (
        <td data-label="CAB" className="cab-audit-cab">
          {fileNameOf(e.cab)}
        </td>
      )}
      <td data-label="Version">{e.version ? <code title={e.version}>{shortCommit(e.version)}</code> : "—"}</td>
      <td data-label="Who" className="wrap cab-audit-who">
        {e.actor}
      </td>
      <td data-label="Detail" className="wrap cab-audit-detail">
        {withCode(e.detail)}
      </td>
    </tr>
  );
}

export interface AuditToolsProps {
  client: Api;
  /** Says something in the page's polite status region. */
  announce: (text: string) => void;
  /** Hands the CSV to the browser as a download. */
  save: (fileName: string, data: Blob) => void;
}

type Verifying =
  | { state: "idle" }
  | { state: "running" }
  | { state: "done"; result: Verification }
  | { state: "failed"; error: BackendError };

/** "Verify chain" with its verdict, and "Export CSV". */
export function AuditTools({ client, announce, save }: AuditToolsProps) {
  const [verifying, setVerifying] = useState<Verifying>({ state: "idle" });
  const [exporting, setExporting] = useState(false);

  const verify = async () => {
    if (verifying.state === "running") return;
    setVerifying({ state: "running" });
    try {
      setVerifying({ state: "done", result: await client.cabAuditVerify() });
    } catch (e) {
      setVerifying({ state: "failed", error: toBackendError(e) });
    }
  };

  const exportCsv = async () => {
    if (exporting) return;
    setExporting(true);
    try {
      const { csv } = await client.cabAuditCsv();
      save("cab-audit.csv", new Blob([csv], { type: "text/csv;charset=utf-8" }));
      announce("Exported the audit log as cab-audit.csv.");
    } catch (e) {
      announce(`Could not export the audit log: ${toBackendError(e).message}`);
    } finally {
      setExporting(false);
    }
  };

  return (
    <div className="cab-audit-tools">
      <div className="settings-actions">
        <button
          type="button"
          aria-disabled={verifying.state === "running" || undefined}
          onClick={() => void verify()}
        >
          {verifying.state === "running" ? "Verifying…" : "Verify chain"}
        </button>
        <button type="button" aria-disabled={exporting || undefined} onClick={() => void exportCsv()}>
          {exporting ? "Exporting…" : "Export CSV"}
        </button>
      </div>
      <div className="cab-verdict" aria-live="polite">
        {verifying.state === "done" &&
          (verifying.result.ok ? (
            <div className="banner banner-ok">
              <p>
                <strong>The chain is intact.</strong> {verifying.result.entries}{" "}
                {verifying.result.entries === 1 ? "entry" : "entries"} checked: none was changed or removed.
              </p>
            </div>
          ) : (
            <div className="banner banner-error" role="alert">
              <p>
                <strong>The audit log has been changed or damaged.</strong> {verifying.result.entries}{" "}
                {verifying.result.entries === 1 ? "entry" : "entries"} checked;{" "}
                {verifying.result.problems.length === 1
                  ? "1 problem"
                  : `${verifying.result.problems.length} problems`}
                , the first first:
              </p>
              <ul>
                {verifying.result.problems.map((p, i) => (
                  <li key={i} className="wrap">
                    {withCode(p)}
                  </li>
                ))}
              </ul>
            </div>
          ))}
        {verifying.state === "failed" && (
          <div className="banner banner-error" role="alert">
            <p>Cannot verify the chain: {verifying.error.message}</p>
          </div>
        )}
      </div>
    </div>
  );
}
