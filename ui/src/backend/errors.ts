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
  /** For `rate_limited`: the seconds to wait before trying again (`Retry-After`), when known. */
  readonly retryAfter: number | undefined;

  constructor(error: ApiError, status?: number, retryAfter?: number) {
    super(error.message);
    this.name = "BackendError";
    this.code = error.code;
    this.status = status;
    this.fields = readFields(error.fields);
    this.retryAfter = retryAfter;
  }
}

/**
 * The code of a failed HTTP response whose body is not an `ApiError` (a proxy's error page,
 * an empty body), so that callers can match on the same codes as the server's own errors.
 */
export function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 429:
      return "rate_limited";
    default:
      return "http_error";
  }
}

/** A signed-in session is needed: the token is missing, wrong, expired or revoked. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof BackendError && error.code === "unauthorized";
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
