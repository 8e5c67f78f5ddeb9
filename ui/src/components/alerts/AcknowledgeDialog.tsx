// Acknowledging an open alert: reminders stop until the result recovers. A note says what is
// being done about it, for whoever looks next (it goes on the timeline).

import { useRef, useState, type FormEvent } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import { Dialog } from "../Dialog";
import { TextField } from "../settings/Field";
import { useFocusAfterRender } from "../settings/edits";

export interface AcknowledgeDialogProps {
  /** The result's id. */
  id: string;
  /** Its name, as the page shows it. */
  name: string;
  client: Api;
  /** Acknowledged, with the note as sent. */
  onAcknowledged: (note: string | null) => void;
  onClose: () => void;
}

export function AcknowledgeDialog({ id, name, client, onAcknowledged, onClose }: AcknowledgeDialogProps) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const focusNext = useFocusAfterRender();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const sent = note.trim() === "" ? null : note.trim();
    try {
      await client.acknowledge(id, sent);
      onAcknowledged(sent);
    } catch (err) {
      setBusy(false);
      setError(toBackendError(err));
      focusNext(() => problemRef.current);
    }
  };

  return (
    <Dialog title="Acknowledge alert" onClose={onClose}>
      <form className="dialog-form" noValidate onSubmit={(e) => void submit(e)}>
        <p>
          <strong className="wrap">{name}</strong>: reminders stop until it recovers. The alert stays open.
        </p>
        <TextField
          label="Note (optional)"
          name="note"
          value={note}
          onChange={setNote}
          hint="What is being done about it, e.g. “restarting the app pool”. Shown with the alert and on its timeline."
        />
        {error && (
          <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
            {error.code === "conflict"
              ? "It has no open alert any more: it may have recovered."
              : `Nothing was changed: ${error.message}`}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="primary" aria-disabled={busy || undefined}>
            {busy ? "Acknowledging…" : "Acknowledge"}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
