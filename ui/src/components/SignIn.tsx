// The browser's sign-in screen: one field for an access token. Only `opsdeck serve` asks for
// it; the desktop app has no sign-in.

import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { toBackendError, type BackendError } from "../backend";

/** Why the sign-in screen is shown, said above the form. */
export type SignInReason = "start" | "ended" | "signed-out";

export interface SignInProps {
  reason: SignInReason;
  /** A failed sign-in from a sign-in link, shown until the next attempt. */
  linkError?: BackendError | null;
  /** Resolves once signed in (this screen is then gone); rejects with why not. */
  onSignIn: (token: string) => Promise<void>;
}

/** What went wrong, in words that say what to do next. */
export function signInProblem(error: BackendError): string {
  switch (error.code) {
    case "unauthorized":
      return "That token was not accepted. Check that you copied all of it, or ask an admin for a new one.";
    case "rate_limited":
      return error.retryAfter !== undefined
        ? `Too many failed attempts. Try again in ${describeWait(error.retryAfter)}.`
        : `Too many failed attempts. ${error.message}`;
    case "unreachable":
      return "Cannot reach the opsdeck server. Check the connection and try again.";
    default:
      return `Could not sign in: ${error.message}`;
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} ${seconds === 1 ? "second" : "seconds"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

export function SignIn({ reason, linkError = null, onSignIn }: SignInProps) {
  const fieldId = useId();
  const helpId = useId();
  const errorId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(() =>
    linkError ? `The sign-in link did not work. ${signInProblem(linkError)}` : null,
  );

  useEffect(() => {
    document.title = "Sign in · opsdeck";
    input.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const value = token.trim();
    // Not kept in the page after it is sent, whatever the answer.
    setToken("");
    if (value === "") {
      setProblem("Enter an access token.");
      input.current?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await onSignIn(value);
    } catch (err) {
      setBusy(false);
      setProblem(signInProblem(toBackendError(err)));
      input.current?.focus();
    }
  };

  return (
    <div className="signin-screen">
      <main className="signin">
        <p className="signin-brand">
          <img className="brand-icon" src="./icons/icon-192.png" alt="" width="28" height="28" />
          opsdeck
        </p>
        <h1 tabIndex={-1}>Sign in to opsdeck</h1>
        {reason === "ended" && (
          <p className="banner banner-warn" role="status">
            Your session has ended: the token may have been revoked. Sign in again to continue.
          </p>
        )}
        {reason === "signed-out" && (
          <p className="banner" role="status">
            You have signed out.
          </p>
        )}
        <form className="signin-form" noValidate onSubmit={(e) => void submit(e)}>
          <label htmlFor={fieldId}>Access token</label>
          <input
            ref={input}
            id={fieldId}
            name="token"
            type="password"
            autoComplete="off"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-invalid={problem !== null || undefined}
            aria-describedby={problem !== null ? `${errorId} ${helpId}` : helpId}
          />
          <p id={errorId} className="signin-error" role="alert">
            {problem}
          </p>
          <button type="submit" className="primary" aria-disabled={busy || undefined}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <p id={helpId} className="signin-help">
          Ask an admin for a token (<code>opsdeck token create --name NAME --role viewer</code>) or scan a pairing
          code from the desktop app.
        </p>
      </main>
    </div>
  );
}
