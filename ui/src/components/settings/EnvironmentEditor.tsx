import { useEffect, useId, useRef, useState } from "react";
import type { BackendError } from "../../backend";
import type { EnvironmentForm } from "../../bindings/EnvironmentForm";
import { parseEnvironmentDraft, type EnvironmentDraft } from "../../lib/estateForm";
import type { EstateEdits } from "./edits";
import { TextField } from "./Field";
import { FormFooter } from "./FormFooter";
import { useFormSave } from "./useFormSave";

const SHOWN = ["id", "name", "order"] as const;

export interface EnvironmentEditorProps {
  title: string;
  initial: EnvironmentDraft;
  /** Editing an existing environment (its id can change; its checks follow). */
  existing: boolean;
  edits: EstateEdits;
  onSave: (environment: EnvironmentForm) => Promise<BackendError | null>;
  onCancel: () => void;
}

export function EnvironmentEditor({
  title,
  initial,
  existing,
  edits,
  onSave,
  onCancel,
}: EnvironmentEditorProps) {
  const [draft, setDraft] = useState(initial);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLDivElement>(null);
  const form = useFormSave(SHOWN, edits, formRef, problemRef);
  const headingId = useId();
  const fields = useRef<HTMLDivElement>(null);

  useEffect(() => {
    fields.current?.querySelector("input")?.focus();
  }, []);

  const set = (key: keyof EnvironmentDraft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  return (
    <form
      ref={formRef}
      className="settings-form"
      aria-labelledby={headingId}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void form.submit(parseEnvironmentDraft(draft), onSave);
      }}
    >
      <h3 id={headingId}>{title}</h3>
      <div ref={fields} className="settings-fields">
        <TextField
          label="ID"
          name="id"
          value={draft.id}
          onChange={set("id")}
          errors={form.messages.id}
          hint={
            existing
              ? "Changing it also changes it in the checks of this environment."
              : "Unique. Lowercase letters, digits, -, _ or ., starting with a letter or digit."
          }
          code
        />
        <TextField
          label="Name"
          name="name"
          value={draft.name}
          onChange={set("name")}
          errors={form.messages.name}
        />
        <TextField
          label="Order"
          name="order"
          inputMode="numeric"
          value={draft.order}
          onChange={set("order")}
          errors={form.messages.order}
          hint="Lower numbers come first in the overview among environments of the same status. Empty: 0."
        />
      </div>

      <FormFooter form={form} problemRef={problemRef} onCancel={onCancel} />
    </form>
  );
}
