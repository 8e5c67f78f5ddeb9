// Storing a credential's value in the keychain: set a missing one, replace a stored one, or add
// one under a new name. The value field is never filled in (there is no way to read a stored
// value back) and is emptied as soon as the form is sent, whatever the answer.

import { useRef, useState, type FormEvent } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { Credentials } from "../../bindings/Credentials";
import { Dialog } from "../Dialog";
import { TextField } from "../settings/Field";
import { useFocusAfterRender } from "../settings/edits";

/** Lower-case letters, digits, `-`, `_` and `.`. */
export const CREDENTIAL_NAME = /^[a-z0-9._-]+$/;

export type SetCredentialMode =
  | { kind: "set"; name: string }
  | { kind: "replace"; name: string }
  /** A new name; `existing` are the names already listed. */
  | { kind: "add"; existing: readonly string[] };

const TITLE: Record<SetCredentialMode["kind"], string> = {
  set: "Set credential",
  replace: "Replace credential",
  add: "Add credential",
};

export interface SetCredentialDialogProps {
  mode: SetCredentialMode;
  client: Api;
  /** The value is stored; `credentials` is the list as the engine has it now. */
  onStored: (name: string, credentials: Credentials) => void;
  onClose: () => void;
}

export function SetCredentialDialog({ mode, client, onStored, onClose }: SetCredentialDialogProps) {
  const [name, setName] = useState(mode.kind === "add" ? "" : mode.name);
  const [value, setValue] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [valueError, setValueError] = useState<string | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const focusNext = useFocusAfterRender();

  const focusProblem = () =>
    focusNext(
      () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? problemRef.current,
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving) return;
    const secret = value;
    // Out of the page at once: a failed attempt is typed again rather than kept around.
    setValue("");
    setError(null);
    const trimmed = name.trim();
    let badName: string | null = null;
    if (mode.kind === "add") {
      if (trimmed === "") badName = "Enter a name.";
      else if (!CREDENTIAL_NAME.test(trimmed)) badName = "Use lower-case letters, digits, -, _ or . only.";
      else if (mode.existing.includes(trimmed))
        badName = `There is already a credential named ${trimmed}; use its Replace button.`;
    }
    const badValue = secret === "" ? "Enter the value to store." : null;
    setNameError(badName);
    setValueError(badValue);
    if (badName !== null || badValue !== null) {
      focusProblem();
      return;
    }
    setSaving(true);
    try {
      const credentials = await client.setCredential(trimmed, secret);
      onStored(trimmed, credentials);
    } catch (err) {
      const backendError = toBackendError(err);
      setSaving(false);
      const field = backendError.fields.find((f) => f.field === "name");
      if (field) setNameError(field.message);
      setError(backendError);
      focusProblem();
    }
  };

  const replacing = mode.kind === "replace";
  return (
    <Dialog title={TITLE[mode.kind]} onClose={onClose}>
      <form ref={formRef} className="dialog-form" noValidate onSubmit={(e) => void submit(e)}>
        {mode.kind === "add" ? (
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={setName}
            errors={nameError ? [nameError] : undefined}
            hint="The keychain entry a check names for its password or bearer token. Lower-case letters, digits, -, _ or ."
            code
          />
        ) : (
          <p>
            Credential <code className="wrap">{mode.name}</code>
            {nameError && <span className="field-error"> {nameError}</span>}
          </p>
        )}
        <TextField
          label={replacing ? "New value" : "Value"}
          name="value"
          type="password"
          autoComplete="new-password"
          value={value}
          onChange={setValue}
          errors={valueError ? [valueError] : undefined}
          hint={
            <>
              {replacing && "Replaces the stored value. "}
              Stored in the system keychain of the computer opsdeck runs on; it is never shown again.
            </>
          }
          code
        />
        {error && (
          <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
            Nothing was stored: {error.message}
          </p>
        )}
        <div className="settings-actions">
          <button type="submit" className="primary" aria-disabled={saving || undefined}>
            {saving ? "Saving…" : "Save"}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
