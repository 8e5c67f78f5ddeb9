// Creating an access token: a name and a role, then the token, shown once. Closing the dialog
// (Done, Cancel or Escape) drops the value from the page.

import { useRef, useState, type FormEvent } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { CreatedToken } from "../../bindings/CreatedToken";
import type { Role } from "../../bindings/Role";
import { ROLE_DESCRIPTION, ROLE_LABEL, ROLES } from "../../lib/roles";
import { Dialog } from "../Dialog";
import { useFocusAfterRender } from "./edits";
import { SelectField, TextField } from "./Field";
import { SecretOnce } from "./SecretOnce";

export const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: `${ROLE_LABEL[r]}: ${ROLE_DESCRIPTION[r]}` }));

const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

export interface CreateTokenDialogProps {
  client: Api;
  /** The token exists now (its value is only in this dialog). */
  onCreated: (name: string) => void;
  onClose: () => void;
}

export function CreateTokenDialog({ client, onCreated, onClose }: CreateTokenDialogProps) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [nameError, setNameError] = useState<string | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const focusNext = useFocusAfterRender();

  const close = () => {
    setCreated(null);
    onClose();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (creating) return;
    const trimmed = name.trim();
    setError(null);
    if (trimmed === "") {
      setNameError("Enter a name, such as the person or device that will use it.");
      focusNext(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]'));
      return;
    }
    setNameError(null);
    setCreating(true);
    try {
      const token = await client.createToken(trimmed, role);
      setCreated(token);
      onCreated(token.info.name);
    } catch (err) {
      const backendError = toBackendError(err);
      setCreating(false);
      const field = backendError.fields.find((f) => f.field === "name");
      setNameError(field ? field.message : null);
      setError(field ? null : backendError);
      focusNext(
        () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? problemRef.current,
      );
    }
  };

  return (
    <Dialog title="Create token" onClose={close}>
      {created ? (
        <>
          <p>
            Created token <strong>{created.info.name}</strong> with the role {ROLE_LABEL[created.info.role]}.
            Give it to whoever will use it; they sign in with it.
          </p>
          <SecretOnce label="Token" value={created.token} />
          <div className="settings-actions">
            <button type="button" className="primary" onClick={close}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form ref={formRef} className="dialog-form" noValidate onSubmit={(e) => void submit(e)}>
          <TextField
            label="Name"
            name="name"
            value={name}
            onChange={setName}
            errors={nameError ? [nameError] : undefined}
            hint="Who or what uses it, such as ada-laptop or wallboard. Shown in the list, to revoke it later."
            code
          />
          <SelectField
            label="Role"
            name="role"
            value={role}
            onChange={(v) => {
              if (isRole(v)) setRole(v);
            }}
            options={ROLE_OPTIONS}
          />
          {error && (
            <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
              No token was created: {error.message}
            </p>
          )}
          <div className="settings-actions">
            <button type="submit" className="primary" aria-disabled={creating || undefined}>
              {creating ? "Creating…" : "Create token"}
            </button>
            <button type="button" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
