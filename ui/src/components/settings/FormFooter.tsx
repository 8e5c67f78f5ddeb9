// The end of every settings form: why the last save did not happen, then Save and Cancel. The
// problem sits just above Save so it is read right before trying again.

import type { RefObject } from "react";
import { Problem } from "./Problem";
import type { FormSave } from "./useFormSave";

export interface FormFooterProps {
  form: FormSave;
  /** The same ref given to `useFormSave`, which focuses the problem when no field is to blame. */
  problemRef: RefObject<HTMLDivElement | null>;
  onCancel: () => void;
}

export function FormFooter({ form, problemRef, onCancel }: FormFooterProps) {
  return (
    <>
      {form.error && (
        <Problem
          ref={problemRef}
          error={form.error}
          formMessages={form.messages[""]}
          verb="saved"
          onReload={() => void form.reload()}
          reloading={form.reloading}
        />
      )}

      <div className="settings-actions">
        <button type="submit" className="primary" aria-disabled={form.saving || undefined}>
          {form.saving ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
