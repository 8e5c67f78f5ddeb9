// Labelled inputs for the settings forms. Each wires its hint and its errors to the input
// (aria-describedby, errors first so they are read first) and marks it invalid, so a screen
// reader user landing on the field hears what is wrong with it.

import { useId, type HTMLInputTypeAttribute, type ReactNode } from "react";

interface FieldBase {
  label: string;
  /** The form key (`url`, `interval`, …), also the input's name. */
  name: string;
  hint?: ReactNode;
  errors?: readonly string[] | undefined;
}

function useFieldIds(hint: ReactNode, errors: readonly string[] | undefined) {
  const id = useId();
  const invalid = (errors?.length ?? 0) > 0;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [invalid ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ");
  return {
    id,
    invalid,
    hintId,
    errorId,
    aria: {
      "aria-invalid": invalid ? (true as const) : undefined,
      "aria-describedby": describedBy || undefined,
    },
  };
}

interface MessagesProps {
  id: string;
  hintId: string;
  hint: ReactNode;
  errors?: readonly string[] | undefined;
}

function Messages({ id, hintId, hint, errors }: MessagesProps) {
  return (
    <>
      {errors && errors.length > 0 && (
        <p id={id} className="field-error">
          {errors.join(" ")}
        </p>
      )}
      {hint && (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      )}
    </>
  );
}

export interface TextFieldProps extends FieldBase {
  value: string;
  onChange: (value: string) => void;
  type?: HTMLInputTypeAttribute;
  inputMode?: "text" | "url" | "numeric" | "decimal" | "search" | "email";
  autoComplete?: string;
  /** Identifiers and paths: no autocorrect, no capitalisation. */
  code?: boolean;
}

export function TextField(props: TextFieldProps) {
  const { label, name, value, onChange, hint, errors, type = "text", inputMode, autoComplete, code } = props;
  const f = useFieldIds(hint, errors);
  return (
    <div className={`field${f.invalid ? " field-invalid" : ""}`}>
      <label htmlFor={f.id}>{label}</label>
      <input
        id={f.id}
        name={name}
        type={type}
        inputMode={inputMode}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        autoComplete={autoComplete ?? "off"}
        spellCheck={code ? false : undefined}
        autoCapitalize={code ? "none" : undefined}
        autoCorrect={code ? "off" : undefined}
        {...f.aria}
      />
      <Messages id={f.errorId} hintId={f.hintId} hint={hint} errors={errors} />
    </div>
  );
}

export interface SelectFieldProps extends FieldBase {
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
}

export function SelectField({ label, name, value, onChange, options, hint, errors }: SelectFieldProps) {
  const f = useFieldIds(hint, errors);
  return (
    <div className={`field${f.invalid ? " field-invalid" : ""}`}>
      <label htmlFor={f.id}>{label}</label>
      <select id={f.id} name={name} value={value} onChange={(e) => onChange(e.target.value)} {...f.aria}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Messages id={f.errorId} hintId={f.hintId} hint={hint} errors={errors} />
    </div>
  );
}

export interface CheckboxFieldProps extends FieldBase {
  checked: boolean;
  onChange: (checked: boolean) => void;
}

export function CheckboxField({ label, name, checked, onChange, hint, errors }: CheckboxFieldProps) {
  const f = useFieldIds(hint, errors);
  return (
    <div className={`field field-check${f.invalid ? " field-invalid" : ""}`}>
      <label className="toggle" htmlFor={f.id}>
        <input
          id={f.id}
          name={name}
          type="checkbox"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          {...f.aria}
        />
        {label}
      </label>
      <Messages id={f.errorId} hintId={f.hintId} hint={hint} errors={errors} />
    </div>
  );
}

export interface TextAreaFieldProps extends FieldBase {
  value: string;
  onChange: (value: string) => void;
  rows?: number;
}

export function TextAreaField({ label, name, value, onChange, hint, errors, rows = 3 }: TextAreaFieldProps) {
  const f = useFieldIds(hint, errors);
  return (
    <div className={`field${f.invalid ? " field-invalid" : ""}`}>
      <label htmlFor={f.id}>{label}</label>
      <textarea id={f.id} name={name} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} {...f.aria} />
      <Messages id={f.errorId} hintId={f.hintId} hint={hint} errors={errors} />
    </div>
  );
}
