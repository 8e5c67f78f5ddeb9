import type { Status } from "../bindings/Status";
import { STATUS_LABEL } from "../lib/status";

/** A shape per status, so status never depends on colour alone. */
export function StatusIcon({ status }: { status: Status }) {
  return (
    <svg className="status-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {status === "up" && (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {status === "degraded" && (
        <>
          <path d="M8 1.2l7 13H1z" fill="currentColor" />
          <path d="M8 5.5v4.2M8 11.3v1.4" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {status === "down" && (
        <>
          <rect x="1" y="1" width="14" height="14" rx="2" fill="currentColor" />
          <path d="M5 5l6 6M11 5l-6 6" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {status === "unknown" && (
        <>
          <circle cx="8" cy="8" r="7" fill="none" stroke="currentColor" strokeWidth="2" />
          <path
            d="M6 6.2a2 2 0 1 1 2.8 1.8c-.6.3-.8.7-.8 1.3v.4M8 11.3v1.4"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
          />
        </>
      )}
    </svg>
  );
}

export function StatusBadge({ status, className }: { status: Status; className?: string }) {
  return (
    <span className={`status status-${status}${className ? ` ${className}` : ""}`}>
      <StatusIcon status={status} />
      <span className="status-text">{STATUS_LABEL[status]}</span>
    </span>
  );
}
