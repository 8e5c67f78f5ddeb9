// Sharing the desktop app's console on the network, so browsers and phones can open it. The
// shell applies a saved change at once (starts, restarts or stops its server) before answering;
// `sharingStatus` then says where it listens, or why it does not.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { toBackendError, type BackendError, type DesktopControls } from "../../backend";
import type { NetworkSharing } from "../../bindings/NetworkSharing";
import type { SharingStatus } from "../../bindings/SharingStatus";
import { useFocusAfterRender } from "./edits";
import { CheckboxField, TextField } from "./Field";

/** The form as typed: paths are text until saved, where an empty one becomes null. */
interface Draft {
  enabled: boolean;
  listen: string;
  cert: string;
  key: string;
}

type FieldName = "listen" | "cert" | "key";
type FieldErrors = Partial<Record<FieldName, string>>;

function toDraft(sharing: NetworkSharing): Draft {
  return {
    enabled: sharing.enabled,
    listen: sharing.listen,
    cert: sharing.tls_cert ?? "",
    key: sharing.tls_key ?? "",
  };
}

/** A typed path without surrounding spaces, nor the quotes of Windows' "Copy as path". */
export function cleanPath(text: string): string | null {
  const trimmed = text.trim();
  const unquoted = /^"(.*)"$/.exec(trimmed)?.[1]?.trim() ?? trimmed;
  return unquoted === "" ? null : unquoted;
}

/** The sharing to save, or what to fix first. The shell judges the rest (TLS, files, port). */
export function parseSharing(draft: Draft): { ok: true; value: NetworkSharing } | { ok: false; errors: FieldErrors } {
  const listen = draft.listen.trim();
  const cert = cleanPath(draft.cert);
  const key = cleanPath(draft.key);
  const errors: FieldErrors = {};
  if (listen === "") errors.listen = "Enter an address and port, such as 0.0.0.0:7443 or 127.0.0.1:7443.";
  else if (!/:\d{1,5}$/.test(listen)) errors.listen = "Add the port after a colon, such as 0.0.0.0:7443.";
  if (cert !== null && key === null) errors.key = "Enter the private key that goes with the certificate.";
  if (key !== null && cert === null) errors.cert = "Enter the certificate that goes with the private key.";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { enabled: draft.enabled, listen, tls_cert: cert, tls_key: key } };
}

/** Which field a refusal from the shell is about, when it names one. */
function fieldOf(name: string): FieldName | null {
  const last = name.split(".").pop();
  if (last === "listen") return "listen";
  if (last === "tls_cert") return "cert";
  if (last === "tls_key") return "key";
  return null;
}

/** What the page's status region says once a save has been applied. */
function savedMessage(status: SharingStatus | null): string {
  if (status === null) return "Saved the sharing settings.";
  if (status.listening !== null) return `Saved. The console is shared at ${status.listening}.`;
  if (status.error !== null) return "Saved, but the console is not shared.";
  return "Saved. The console is not shared.";
}

export interface SharingFormProps {
  desktop: DesktopControls;
  /** The sharing the shell has now. */
  saved: NetworkSharing;
  /** Stores the sharing with every other preference unchanged; resolves with null once applied. */
  save: (sharing: NetworkSharing) => Promise<BackendError | null>;
  announce: (message: string) => void;
}

export function SharingForm({ desktop, saved, save, announce }: SharingFormProps) {
  const headingId = useId();
  // Null until the user changes something: until then the form follows the saved sharing, also
  // when it changes elsewhere.
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<BackendError | null>(null);
  const [status, setStatus] = useState<SharingStatus | null>(null);
  const [statusError, setStatusError] = useState<BackendError | null>(null);
  // Asking again after a save, even when the save changed nothing (a retry after "address in use").
  const [asked, setAsked] = useState(0);
  const announceStatus = useRef(false);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLParagraphElement>(null);
  const focusNext = useFocusAfterRender();

  const shown = draft ?? toDraft(saved);
  const edit = (patch: Partial<Draft>) => setDraft({ ...shown, ...patch });

  const savedKey = JSON.stringify(saved);
  useEffect(() => {
    let cancelled = false;
    desktop.sharingStatus().then(
      (s) => {
        if (cancelled) return;
        setStatus(s);
        setStatusError(null);
        if (announceStatus.current) {
          announceStatus.current = false;
          announce(savedMessage(s));
        }
      },
      (e: unknown) => {
        if (cancelled) return;
        setStatusError(toBackendError(e));
        if (announceStatus.current) {
          announceStatus.current = false;
          announce(savedMessage(null));
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [desktop, savedKey, asked, announce]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (saving) return;
    setSaveError(null);
    const parsed = parseSharing(shown);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      focusNext(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]'));
      return;
    }
    setErrors({});
    setSaving(true);
    announce("Saving the sharing settings…");
    const error = await save(parsed.value);
    setSaving(false);
    if (error === null) {
      setDraft(null);
      announceStatus.current = true;
      setAsked((n) => n + 1);
      return;
    }
    announce("");
    const byField: FieldErrors = {};
    for (const f of error.fields) {
      const field = fieldOf(f.field);
      if (field !== null) byField[field] = f.message;
    }
    setErrors(byField);
    setSaveError(error);
    // Applying may have stopped the old server even though the change was refused.
    setAsked((n) => n + 1);
    focusNext(
      () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? problemRef.current,
    );
  };

  return (
    <form
      ref={formRef}
      className="settings-form"
      aria-labelledby={headingId}
      noValidate
      onSubmit={(e) => void submit(e)}
    >
      <h3 id={headingId}>Network sharing</h3>
      <p className="settings-note">
        Browsers and phones on the network can open this console. They sign in with an access token, for example
        one made with Pair a phone. A certificate and its private key are needed, unless the address is
        127.0.0.1 (this computer only).
      </p>
      <SharingState status={status} error={statusError} />
      <div className="settings-fields settings-fields-single">
        <CheckboxField
          label="Share on the network"
          name="sharing_enabled"
          checked={shown.enabled}
          onChange={(on) => edit({ enabled: on })}
        />
        <TextField
          label="Address and port"
          name="listen"
          value={shown.listen}
          onChange={(v) => edit({ listen: v })}
          errors={errors.listen ? [errors.listen] : undefined}
          hint={
            <>
              <code>0.0.0.0:7443</code> for every network this computer is on; <code>127.0.0.1:7443</code> for
              this computer only.
            </>
          }
          code
        />
        <TextField
          label="Certificate (PEM file)"
          name="tls_cert"
          value={shown.cert}
          onChange={(v) => edit({ cert: v })}
          errors={errors.cert ? [errors.cert] : undefined}
          hint={
            <>
              The full path of the certificate chain, such as <code>C:\certs\desk-42.pem</code>. Phones must open
              the console by a name in it.
            </>
          }
          code
        />
        <TextField
          label="Private key (PEM file)"
          name="tls_key"
          value={shown.key}
          onChange={(v) => edit({ key: v })}
          errors={errors.key ? [errors.key] : undefined}
          hint={
            <>
              The full path of the certificate’s private key, such as <code>C:\certs\desk-42.key</code>.
            </>
          }
          code
        />
      </div>
      {saveError && (
        <p ref={problemRef} tabIndex={-1} className="banner banner-error settings-problem" role="alert">
          The sharing settings were not saved: {saveError.message}
        </p>
      )}
      <div className="settings-actions">
        <button type="submit" className="primary" aria-disabled={saving || undefined}>
          {saving ? "Saving…" : "Save sharing settings"}
        </button>
        {draft !== null && !saving && (
          <button
            type="button"
            onClick={() => {
              setDraft(null);
              setErrors({});
              setSaveError(null);
            }}
          >
            Undo changes
          </button>
        )}
      </div>
    </form>
  );
}

/** Where the console is shared, or why it is not. */
function SharingState({ status, error }: { status: SharingStatus | null; error: BackendError | null }) {
  let body;
  if (error !== null) {
    body = <p className="error-text">Cannot tell whether the console is shared: {error.message}</p>;
  } else if (status === null) {
    body = <p className="muted">Checking whether the console is shared…</p>;
  } else if (status.listening !== null) {
    body = (
      <>
        <p>
          Shared at <code className="wrap">{status.listening}</code>
        </p>
        {status.suggested_url !== null && (
          <p className="muted">
            Phones open it at <code className="wrap">{status.suggested_url}</code>; Pair a phone uses this
            address.
          </p>
        )}
      </>
    );
  } else if (status.error !== null) {
    body = (
      <p className="banner banner-error settings-reason" role="alert">
        Not shared: {status.error}
      </p>
    );
  } else {
    body = <p>Not shared</p>;
  }
  return <div className="settings-sharing">{body}</div>;
}
