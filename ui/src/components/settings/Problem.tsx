// Why a save or a remove did not happen, said next to the button that tried it. The element
// is focusable so the form can move focus here when no single field is to blame.

import type { Ref } from "react";
import type { BackendError } from "../../backend";

export interface ProblemProps {
  error: BackendError;
  /** Messages about the whole form (field `""` of an `invalid_request`). */
  formMessages?: readonly string[] | undefined;
  /** "saved" or "removed", for "Nothing was …". */
  verb: string;
  onReload: () => void;
  reloading: boolean;
  ref?: Ref<HTMLDivElement>;
}

export function Problem({ error, formMessages, verb, onReload, reloading, ref }: ProblemProps) {
  let body;
  if (error.code === "conflict") {
    body = (
      <>
        <p>
          The configuration file changed on disk after this page loaded it, so nothing was {verb}. Reload it,
          check your changes and try again.
        </p>
        <button type="button" onClick={onReload} aria-disabled={reloading || undefined}>
          {reloading ? "Reloading…" : "Reload"}
        </button>
      </>
    );
  } else if (error.code === "invalid_request" && formMessages && formMessages.length > 0) {
    body = (
      <>
        <p>Nothing was {verb}:</p>
        <ul>
          {formMessages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      </>
    );
  } else if (error.code === "invalid_request") {
    body = <p>Nothing was {verb}. Correct the marked fields and try again.</p>;
  } else {
    // `read_only` and anything unexpected: the engine's message says why.
    body = (
      <p>
        Nothing was {verb}: {error.message}
      </p>
    );
  }
  return (
    <div ref={ref} tabIndex={-1} className="banner banner-error settings-problem">
      {body}
    </div>
  );
}
