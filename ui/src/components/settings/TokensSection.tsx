// Access tokens: who may use the console through `opsdeck serve`, and with which role. A new
// token's value is shown once, in the dialog that created it; the list never has it.

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { toBackendError, type Api, type BackendError, type DesktopControls } from "../../backend";
import type { TokenInfo } from "../../bindings/TokenInfo";
import { formatDateTime } from "../../lib/format";
import { ROLE_LABEL, useCaller } from "../../lib/roles";
import { ConfirmAction } from "../ConfirmAction";
import { CreateTokenDialog } from "./CreateTokenDialog";
import { useFocusAfterRender } from "./edits";
import { PairPhoneDialog } from "./PairPhoneDialog";

export interface TokensSectionProps {
  client: Api;
  announce: (message: string) => void;
  /** The desktop app's controls (its own address is no use to a phone); absent in a browser. */
  desktop?: DesktopControls | undefined;
}

export function TokensSection({ client, announce, desktop }: TokensSectionProps) {
  const headingId = useId();
  const caller = useCaller();
  const [tokens, setTokens] = useState<TokenInfo[] | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [dialog, setDialog] = useState<"create" | "pair" | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const root = useRef<HTMLElement>(null);
  const focusNext = useFocusAfterRender();

  const load = useCallback(
    () =>
      client.tokens().then(
        (t) => {
          setTokens(t);
          setLoadError(null);
        },
        (e: unknown) => setLoadError(toBackendError(e)),
      ),
    [client],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const revokeButton = (name: string) => () =>
    [...(root.current?.querySelectorAll<HTMLElement>('[data-action="revoke"]') ?? [])].find(
      (el) => el.dataset.item === name,
    );

  const revoke = async (name: string) => {
    try {
      setTokens(await client.revokeToken(name));
      setConfirming(null);
      announce(`Revoked token ${name}. Whoever used it can no longer open the console.`);
      focusNext(() => root.current?.querySelector<HTMLElement>("h2"));
      return null;
    } catch (e) {
      return toBackendError(e);
    }
  };

  return (
    <section ref={root} className="settings-section" aria-labelledby={headingId}>
      <div className="section-head">
        <h2 id={headingId} tabIndex={-1}>
          Access tokens
        </h2>
        <div className="settings-actions">
          <button type="button" onClick={() => setDialog("create")}>
            Create token
          </button>
          <button type="button" onClick={() => setDialog("pair")}>
            Pair a phone
          </button>
        </div>
      </div>
      <p className="settings-note">
        A browser signs in to <code>opsdeck serve</code> with a token. Each token has a role: viewers only look,
        operators also run checks, admins change everything.
      </p>

      {tokens === null && loadError === null && <p className="muted">Loading…</p>}
      {loadError && (
        <div className="banner banner-error" role="alert">
          <p>Cannot load the tokens: {loadError.message}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {tokens && tokens.length === 0 && <p className="muted">No tokens yet.</p>}
      {tokens && tokens.length > 0 && (
        <ul className="settings-list" aria-label="Access tokens">
          {tokens.map((t) => {
            const own = t.name === caller.name;
            return (
              <li key={t.name} className="settings-item">
                <div className="settings-item-text">
                  <span className="settings-item-name">{t.name}</span>
                  <span className="settings-badge">{ROLE_LABEL[t.role]}</span>
                  {own && <span className="settings-badge">This session</span>}
                  <span className="settings-item-detail muted">
                    <code className="token-id">{t.id}</code> · created{" "}
                    <time dateTime={t.created_at}>{formatDateTime(t.created_at)}</time>
                  </span>
                </div>
                {confirming === t.name ? (
                  <ConfirmAction
                    question={`Revoke token ${t.name}?`}
                    note={
                      own
                        ? "This console is signed in with it: you will be signed out at once."
                        : "Whoever uses it is signed out at once and cannot sign in with it again."
                    }
                    confirmLabel="Revoke"
                    busyLabel="Revoking…"
                    onConfirm={() => revoke(t.name)}
                    onCancel={() => {
                      setConfirming(null);
                      focusNext(revokeButton(t.name));
                    }}
                  />
                ) : (
                  <div className="settings-item-actions">
                    <button
                      type="button"
                      data-action="revoke"
                      data-item={t.name}
                      onClick={() => setConfirming(t.name)}
                    >
                      Revoke <span className="sr-only">token {t.name}</span>
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}

      {dialog === "create" && (
        <CreateTokenDialog
          client={client}
          onCreated={(name) => {
            announce(`Created token ${name}.`);
            void load();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === "pair" && (
        <PairPhoneDialog
          client={client}
          desktop={desktop}
          onCreated={(name) => {
            announce(`Created token ${name} for a phone.`);
            void load();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}
