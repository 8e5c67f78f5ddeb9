// A token's value, shown the one time it exists in the page: a read-only field to select,
// a Copy button where the browser allows it, and the warning that it will not come back.

import { useEffect, useId, useRef, useState } from "react";

export function SecretOnce({ label, value }: { label: string; value: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>("");
  // Without a secure context (plain http to another machine) there is no clipboard to write.
  const canCopy = typeof navigator !== "undefined" && typeof navigator.clipboard?.writeText === "function";

  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      setCopied("Could not copy; select the token and copy it by hand.");
    }
  };

  return (
    <>
      <p className="banner banner-warn secret-warning">
        Copy the token now: it cannot be shown again.
      </p>
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <div className="dialog-secret">
          <input
            ref={input}
            id={id}
            type="text"
            readOnly
            value={value}
            autoComplete="off"
            spellCheck={false}
            onFocus={(e) => e.currentTarget.select()}
          />
          {canCopy && (
            <button type="button" onClick={() => void copy()}>
              Copy
            </button>
          )}
        </div>
      </div>
      <p className="muted" role="status">
        {copied}
      </p>
    </>
  );
}
