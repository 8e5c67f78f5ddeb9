// The form for one check, inline in the list: a dialog would be awkward on a phone and would
// hide the list the user is working through.

import { useEffect, useId, useRef, useState } from "react";
import type { BackendError } from "../../backend";
import type { CheckForm } from "../../bindings/CheckForm";
import type { EnvironmentForm } from "../../bindings/EnvironmentForm";
import { FORMATS, METHODS, parseCheckDraft, type CheckDraft } from "../../lib/estateForm";
import type { EstateEdits } from "./edits";
import { CheckboxField, SelectField, TextField } from "./Field";
import { FormFooter } from "./FormFooter";
import { useFormSave } from "./useFormSave";

/** The `CheckForm` keys this form has an input for, in the order it shows them. */
const SHOWN = [
  "id",
  "name",
  "environment",
  "tags",
  "enabled",
  "url",
  "method",
  "expected_status",
  "body_contains",
  "format",
  "interval",
  "timeout",
  "username",
  "password",
  "bearer_token",
  "tls_insecure",
  "ca_file",
] as const;

const FORMAT_LABEL: Record<(typeof FORMATS)[number], string> = {
  auto: "Detect an ASP.NET Core health report",
  aspnet: "Must be an ASP.NET Core health report",
  generic: "Never read as a health report",
};

const KEYCHAIN_HINT = (
  <>
    The name of an entry in the system keychain, not the secret itself. Set its value with{" "}
    <code>opsdeck secret set NAME</code>.
  </>
);

export interface CheckEditorProps {
  /** Shown as the form's heading and accessible name. */
  title: string;
  initial: CheckDraft;
  environments: readonly EnvironmentForm[];
  edits: EstateEdits;
  onSave: (check: CheckForm) => Promise<BackendError | null>;
  onCancel: () => void;
}

export function CheckEditor({ title, initial, environments, edits, onSave, onCancel }: CheckEditorProps) {
  const [draft, setDraft] = useState(initial);
  const formRef = useRef<HTMLFormElement>(null);
  const problemRef = useRef<HTMLDivElement>(null);
  const form = useFormSave(SHOWN, edits, formRef, problemRef);
  const headingId = useId();
  const first = useRef<HTMLDivElement>(null);

  // Opening the form takes the user straight to its first field.
  useEffect(() => {
    first.current?.querySelector("input")?.focus();
  }, []);

  const set =
    <K extends keyof CheckDraft>(key: K) =>
    (value: CheckDraft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const errors = (key: (typeof SHOWN)[number]) => form.messages[key];

  const environmentOptions = [
    { value: "", label: "(none)" },
    ...environments.map((e) => ({
      value: e.id,
      label: e.name && e.name !== e.id ? `${e.name} (${e.id})` : e.id,
    })),
  ];
  // A check may name an environment the file does not define; keep it choosable, not lost.
  if (draft.environment !== "" && !environments.some((e) => e.id === draft.environment)) {
    environmentOptions.push({ value: draft.environment, label: `${draft.environment} (not defined)` });
  }

  return (
    <form
      ref={formRef}
      className="settings-form"
      aria-labelledby={headingId}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void form.submit(parseCheckDraft(draft), onSave);
      }}
    >
      <h3 id={headingId}>{title}</h3>

      <fieldset>
        <legend>Check</legend>
        <div ref={first} className="settings-fields">
          <TextField
            label="ID"
            name="id"
            value={draft.id}
            onChange={set("id")}
            errors={errors("id")}
            hint="Unique. Lowercase letters, digits, -, _ or ., starting with a letter or digit."
            code
          />
          <TextField
            label="Name"
            name="name"
            value={draft.name}
            onChange={set("name")}
            errors={errors("name")}
            hint="Shown in the overview. Empty: the ID."
          />
          <SelectField
            label="Environment"
            name="environment"
            value={draft.environment}
            onChange={set("environment")}
            options={environmentOptions}
            errors={errors("environment")}
          />
          <TextField
            label="Tags"
            name="tags"
            value={draft.tags}
            onChange={set("tags")}
            errors={errors("tags")}
            hint="Separated by commas, such as billing, public."
          />
          <CheckboxField
            label="Enabled"
            name="enabled"
            checked={draft.enabled}
            onChange={set("enabled")}
            errors={errors("enabled")}
            hint="A disabled check stays in the file but is not run."
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>Request</legend>
        <div className="settings-fields">
          <TextField
            label="URL"
            name="url"
            type="url"
            inputMode="url"
            value={draft.url}
            onChange={set("url")}
            errors={errors("url")}
            hint="Such as https://example.com/health."
            code
          />
          <SelectField
            label="Method"
            name="method"
            value={draft.method}
            onChange={set("method")}
            options={METHODS.map((m) => ({ value: m, label: m }))}
            errors={errors("method")}
          />
          <TextField
            label="Expected status codes"
            name="expected_status"
            inputMode="numeric"
            value={draft.expected_status}
            onChange={set("expected_status")}
            errors={errors("expected_status")}
            hint="Separated by commas, such as 200, 204. Empty: any 2xx or 3xx status."
          />
          <TextField
            label="Response must contain"
            name="body_contains"
            value={draft.body_contains}
            onChange={set("body_contains")}
            errors={errors("body_contains")}
            hint="Text the response body must include. Optional."
          />
          <SelectField
            label="Response format"
            name="format"
            value={draft.format}
            onChange={set("format")}
            options={FORMATS.map((f) => ({ value: f, label: FORMAT_LABEL[f] }))}
            errors={errors("format")}
            hint="Whether to read the body as an ASP.NET Core health report (plain text or JSON)."
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>Schedule</legend>
        <div className="settings-fields">
          <TextField
            label="Interval"
            name="interval"
            value={draft.interval}
            onChange={set("interval")}
            errors={errors("interval")}
            hint="The wait between the end of one run and the start of the next, such as 30s or 2m."
            code
          />
          <TextField
            label="Timeout"
            name="timeout"
            value={draft.timeout}
            onChange={set("timeout")}
            errors={errors("timeout")}
            hint="The whole check must finish within this, such as 5s."
            code
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>Sign-in</legend>
        <div className="settings-fields">
          <TextField
            label="User name"
            name="username"
            value={draft.username}
            onChange={set("username")}
            errors={errors("username")}
            hint="For basic authentication. Optional."
            code
          />
          <TextField
            label="Keychain entry for the password"
            name="password"
            value={draft.password}
            onChange={set("password")}
            errors={errors("password")}
            hint={KEYCHAIN_HINT}
            code
          />
          <TextField
            label="Keychain entry for the bearer token"
            name="bearer_token"
            value={draft.bearer_token}
            onChange={set("bearer_token")}
            errors={errors("bearer_token")}
            hint={KEYCHAIN_HINT}
            code
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>TLS</legend>
        <div className="settings-fields">
          <TextField
            label="CA certificate file"
            name="ca_file"
            value={draft.ca_file}
            onChange={set("ca_file")}
            errors={errors("ca_file")}
            hint="A PEM file to trust in addition to the system's certificates. Optional."
            code
          />
          <CheckboxField
            label="Skip certificate verification"
            name="tls_insecure"
            checked={draft.tls_insecure}
            onChange={set("tls_insecure")}
            errors={errors("tls_insecure")}
            hint="Only for test systems: anyone in between could pose as the server."
          />
        </div>
      </fieldset>

      {draft.other_keys.length > 0 && (
        <p className="settings-note">
          Also set in the file: {draft.other_keys.join(", ")}; edit those in the file.
        </p>
      )}

      <FormFooter form={form} problemRef={problemRef} onCancel={onCancel} />
    </form>
  );
}
