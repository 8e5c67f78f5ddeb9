import type { CredentialState } from "../../bindings/CredentialState";

export const CREDENTIAL_STATE_LABEL: Record<CredentialState, string> = {
  stored: "Stored",
  missing: "Missing",
  locked: "Locked",
  unavailable: "Unavailable",
};

/** A shape per state, so the state never depends on colour alone. */
function CredentialStateIcon({ state }: { state: CredentialState }) {
  return (
    <svg className="status-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      {state === "stored" && (
        <>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" stroke="var(--icon-ink)" strokeWidth="1.8" />
        </>
      )}
      {state === "missing" && (
        <>
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.6" strokeDasharray="2.4 1.6" />
          <path d="M8 4.4v4.4M8 10.6v1.4" stroke="currentColor" strokeWidth="1.8" />
        </>
      )}
      {state === "locked" && (
        <>
          <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
          <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
          <path d="M8 9.8v2.4" stroke="var(--icon-ink)" strokeWidth="1.6" />
        </>
      )}
      {state === "unavailable" && (
        <>
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.8" />
          <path d="M3.6 12.4l8.8-8.8" stroke="currentColor" strokeWidth="1.8" />
        </>
      )}
    </svg>
  );
}

/** "✓ Stored", "! Missing", "🔒 Locked", "⊘ Unavailable": icon and word. */
export function CredentialStateBadge({ state }: { state: CredentialState }) {
  return (
    <span className={`status cred-state cred-state-${state}`}>
      <CredentialStateIcon state={state} />
      <span className="status-text">{CREDENTIAL_STATE_LABEL[state]}</span>
    </span>
  );
}
