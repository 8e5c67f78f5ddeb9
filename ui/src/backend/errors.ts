import type { ApiError } from "../bindings/ApiError";

/** A failed call, carrying the server's stable error code (`not_found`, `invalid_request`, …). */
export class BackendError extends Error {
  readonly code: string;
  /** HTTP status, when the transport has one. */
  readonly status: number | undefined;

  constructor(error: ApiError, status?: number) {
    super(error.message);
    this.name = "BackendError";
    this.code = error.code;
    this.status = status;
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
