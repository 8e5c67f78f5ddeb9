// "Delete credential X? [Delete] [Cancel]", in place of the item's buttons: confirmed where the
// user already is, without a modal. Cancel takes focus, so pressing Enter twice does nothing
// irreversible.

import { useEffect, useId, useRef, useState } from "react";
import type { BackendError } from "../backend";
import { useFocusAfterRender } from "./settings/edits";

export interface ConfirmActionProps {
  /** "Revoke token ada-laptop?" */
  question: string;
  /** What the user should know before deciding. */
  note?: string | undefined;
  /** "Revoke" */
  confirmLabel: string;
  /** "Revoking…" */
  busyLabel: string;
  /** Resolves with null once done (this confirmation is then gone), else with the error. */
  onConfirm: () => Promise<BackendError | null>;
  onCancel: () => void;
}

export function ConfirmAction({ question, note, confirmLabel, busyLabel, onConfirm, onCancel }: ConfirmActionProps) {
  const questionId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const focusNext = useFocusAfterRender();

  useEffect(() => {
    cancel.current?.focus();
  }, []);

  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    const e = await onConfirm();
    if (e === null) return;
    setBusy(false);
    setError(e);
    focusNext(() => problemRef.current);
  };

  return (
    <div className="settings-confirm" role="group" aria-labelledby={questionId}>
      <p id={questionId}>{question}</p>
      {note && <p className="muted">{note}</p>}
      {error && (
        <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem">
          Nothing was changed: {error.message}
        </p>
      )}
      <div className="settings-actions">
        <button type="button" className="danger" aria-disabled={busy || undefined} onClick={() => void confirm()}>
          {busy ? busyLabel : confirmLabel}
        </button>
        <button ref={cancel} type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
