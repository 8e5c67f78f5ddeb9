import { useState, type RefObject } from "react";
import { BackendError } from "../../backend";
import type { FieldError } from "../../bindings/FieldError";
import { groupFieldErrors, type FieldMessages } from "../../lib/estateForm";
import { useFocusAfterRender, useReload, type EstateEdits } from "./edits";

type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * Saving one settings form: progress, the engine's verdict per field, and focus on the first
 * thing to fix. The user's input lives in the form and is never touched here, so a refused
 * save loses nothing.
 */
export function useFormSave(
  shown: readonly string[],
  edits: EstateEdits,
  formRef: RefObject<HTMLFormElement | null>,
  problemRef: RefObject<HTMLDivElement | null>,
) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const [messages, setMessages] = useState<FieldMessages>({});
  const focusNext = useFocusAfterRender();

  const fail = (e: BackendError) => {
    // An `invalid_request` without fields is still about this form: say it at form level.
    let fields = e.code === "invalid_request" ? e.fields : [];
    if (e.code === "invalid_request" && fields.length === 0) fields = [{ field: "", message: e.message }];
    setMessages(groupFieldErrors(fields, shown));
    setError(e);
    focusNext(
      () => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? problemRef.current,
    );
  };

  /** Saves `parsed` with `save` unless parsing already found problems. */
  const submit = async <T>(parsed: Parsed<T>, save: (value: T) => Promise<BackendError | null>) => {
    if (saving) return;
    if (!parsed.ok) {
      const message = "Check the marked fields.";
      fail(new BackendError({ code: "invalid_request", message, fields: parsed.errors }));
      return;
    }
    setSaving(true);
    setError(null);
    setMessages({});
    const e = await save(parsed.value);
    // On success the section closes this form; nothing left to update.
    if (e === null) return;
    setSaving(false);
    fail(e);
  };

  const { reloading, reload } = useReload(edits, () => {
    setError(null);
    setMessages({});
    // The problem and its Reload button are gone; Save is where the user goes next.
    focusNext(() => formRef.current?.querySelector<HTMLElement>('button[type="submit"]'));
  });

  return { saving, reloading, error, messages, submit, reload };
}

export type FormSave = ReturnType<typeof useFormSave>;
