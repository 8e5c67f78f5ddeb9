// What the settings forms edit, as text the inputs can hold, and the way back to the engine's
// form types. Lists (tags, status codes) are typed as comma-separated text, so a half-typed
// value like "200," must survive until the form is saved.

import type { CheckForm } from "../bindings/CheckForm";
import type { EnvironmentForm } from "../bindings/EnvironmentForm";
import type { FieldError } from "../bindings/FieldError";

export type CheckDraft = Omit<CheckForm, "tags" | "expected_status"> & {
  tags: string;
  expected_status: string;
};

export type EnvironmentDraft = Omit<EnvironmentForm, "order"> & { order: string };

/** Problems by field name; `""` holds the ones about the whole form. */
export type FieldMessages = Partial<Record<string, string[]>>;

export const METHODS = ["GET", "HEAD", "POST"] as const;
export const FORMATS = ["auto", "aspnet", "generic"] as const;

/** A blank HTTP check with the file format's defaults, as the engine's own blank form has them. */
export function newCheckForm(environment = ""): CheckForm {
  return {
    id: "",
    type: "http",
    name: "",
    environment,
    tags: [],
    interval: "30s",
    timeout: "5s",
    enabled: true,
    url: "",
    method: "GET",
    expected_status: [],
    body_contains: "",
    format: "auto",
    username: "",
    password: "",
    bearer_token: "",
    tls_insecure: false,
    ca_file: "",
    other_keys: [],
  };
}

export function newCheckDraft(environment = ""): CheckDraft {
  return checkDraft(newCheckForm(environment));
}

export function checkDraft(form: CheckForm): CheckDraft {
  return {
    ...form,
    tags: form.tags.join(", "),
    expected_status: form.expected_status.join(", "),
    // The file may leave these unset; the selects need one of their options.
    method: form.method || "GET",
    format: form.format || "auto",
  };
}

export function newEnvironmentDraft(): EnvironmentDraft {
  return { id: "", name: "", order: "" };
}

export function environmentDraft(form: EnvironmentForm): EnvironmentDraft {
  return { ...form, order: form.order === null ? "" : String(form.order) };
}

/** "a, b,,c " → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * The check to send, or the problems the engine could not even be asked about (text where a
 * number belongs). Everything else is left to the engine, which knows the rules.
 */
export function parseCheckDraft(draft: CheckDraft): Parsed<CheckForm> {
  const codes: number[] = [];
  const bad: string[] = [];
  for (const part of splitList(draft.expected_status)) {
    if (/^\d+$/.test(part)) codes.push(Number(part));
    else bad.push(part);
  }
  if (bad.length > 0) {
    return {
      ok: false,
      errors: [
        {
          field: "expected_status",
          message:
            `“${bad.join(", ")}” is not a status code. ` +
            "Enter numbers separated by commas, such as 200, 204.",
        },
      ],
    };
  }
  return {
    ok: true,
    value: {
      ...draft,
      id: draft.id.trim(),
      name: draft.name.trim(),
      url: draft.url.trim(),
      interval: draft.interval.trim(),
      timeout: draft.timeout.trim(),
      tags: splitList(draft.tags),
      expected_status: codes,
    },
  };
}

export function parseEnvironmentDraft(draft: EnvironmentDraft): Parsed<EnvironmentForm> {
  const order = draft.order.trim();
  if (order !== "" && !/^-?\d+$/.test(order)) {
    return {
      ok: false,
      errors: [{ field: "order", message: "Enter a whole number, such as 1 or 10, or leave it empty." }],
    };
  }
  return {
    ok: true,
    value: { id: draft.id.trim(), name: draft.name.trim(), order: order === "" ? null : Number(order) },
  };
}

/**
 * Groups messages by field. A message for a field the form does not show would otherwise be
 * lost, so it joins the form-level ones, prefixed with the field's name.
 */
export function groupFieldErrors(errors: readonly FieldError[], shown: readonly string[]): FieldMessages {
  const out: FieldMessages = {};
  for (const { field, message } of errors) {
    const key = field === "" || shown.includes(field) ? field : "";
    const text = key === field ? sentence(message) : `${field}: ${message}`;
    (out[key] ??= []).push(text);
  }
  return out;
}

/**
 * The engine words its messages to follow a colon ("give the check an id"); standing alone
 * under a field they read better as a sentence.
 */
export function sentence(message: string): string {
  const text = message.trim();
  if (text === "") return text;
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
