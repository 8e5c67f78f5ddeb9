import type { ApiError } from "../bindings/ApiError";
import type { FieldError } from "../bindings/FieldError";

/** A failed call, carrying the server's stable error code (`not_found`, `invalid_request`, …). */
export class BackendError extends Error {
  readonly code: string;
  /** HTTP status, when the transport has one. */
  readonly status: number | undefined;
  /**
   * For `invalid_request` from a form: the problem with each field (`""` for the whole form).
   * Always an array, so forms need not tell "no field errors" from "not sent".
   */
  readonly fields: FieldError[];

  constructor(error: ApiError, status?: number) {
    super(error.message);
    this.name = "BackendError";
    this.code = error.code;
    this.status = status;
    this.fields = readFields(error.fields);
  }
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** Turns anything a transport threw into a `BackendError`. */
export function toBackendError(error: unknown, status?: number): BackendError {
  if (error instanceof BackendError) return error;
  if (isApiError(error)) return new BackendError(error, status);
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : String(error);
  return new BackendError({ code: "internal", message }, status);
}

// The body comes off the wire unchecked: keep only well-formed entries rather than let a
// malformed one break the form that renders them.
function readFields(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((f: unknown) => {
    if (typeof f !== "object" || f === null) return [];
    const { field, message } = f as Record<string, unknown>;
    return typeof field === "string" && typeof message === "string" ? [{ field, message }] : [];
  });
}
