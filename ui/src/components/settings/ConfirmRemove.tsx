// "Remove check X? [Remove] [Cancel]", in place of the item's buttons: a removal is one click
// away from happening, so it is confirmed where the user already is, without a modal.

import { useEffect, useId, useRef, useState } from "react";
import type { BackendError } from "../../backend";
import { sentence } from "../../lib/estateForm";
import { useFocusAfterRender, useReload, type EstateEdits } from "./edits";
import { Problem } from "./Problem";

export interface ConfirmRemoveProps {
  /** "Remove check Payments API?" */
  question: string;
  /** Something the user should know before deciding. */
  note?: string | undefined;
  edits: EstateEdits;
  onRemove: () => Promise<BackendError | null>;
  onCancel: () => void;
}

export function ConfirmRemove({ question, note, edits, onRemove, onCancel }: ConfirmRemoveProps) {
  const questionId = useId();
  const cancel = useRef<HTMLButtonElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const problemRef = useRef<HTMLDivElement>(null);
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const focusNext = useFocusAfterRender();

  // Cancel, not Remove, takes focus: pressing Enter twice must not remove anything.
  useEffect(() => {
    cancel.current?.focus();
  }, []);

  const remove = async () => {
    if (removing) return;
    setRemoving(true);
    setError(null);
    const e = await onRemove();
    if (e === null) return; // the item and this confirmation are gone
    setRemoving(false);
    setError(e);
    focusNext(() => problemRef.current);
  };

  const { reloading, reload } = useReload(edits, () => {
    setError(null);
    focusNext(() => confirm.current);
  });

  const messages =
    error?.code === "invalid_request"
      ? (error.fields.length > 0 ? error.fields.map((f) => f.message) : [error.message]).map(sentence)
      : undefined;

  return (
    <div className="settings-confirm" role="group" aria-labelledby={questionId}>
      <p id={questionId}>{question}</p>
      {note && <p className="muted">{note}</p>}
      {error && (
        <Problem
          ref={problemRef}
          error={error}
          formMessages={messages}
          verb="removed"
          onReload={() => void reload()}
          reloading={reloading}
        />
      )}
      <div className="settings-actions">
        <button
          ref={confirm}
          type="button"
          className="danger"
          aria-disabled={removing || undefined}
          onClick={() => void remove()}
        >
          {removing ? "Removing…" : "Remove"}
        </button>
        <button ref={cancel} type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
