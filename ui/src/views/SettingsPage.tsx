import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { EstateFile } from "../bindings/EstateFile";
import { AboutSection } from "../components/settings/AboutSection";
import { ChecksSection } from "../components/settings/ChecksSection";
import { DesktopSection } from "../components/settings/DesktopSection";
import { useFocusAfterRender, type EstateEdits } from "../components/settings/edits";
import { EnvironmentsSection } from "../components/settings/EnvironmentsSection";
import { TokensSection } from "../components/settings/TokensSection";
import { useActionError } from "../components/settings/useActionError";
import { canAdminister, ROLE_LABEL, useCaller } from "../lib/roles";
import "../settings.css";

export function SettingsPage({ backend }: { backend: Backend }) {
  const caller = useCaller();
  if (!canAdminister(caller)) return <ReadOnlySettings backend={backend} />;
  return <AdminSettings backend={backend} />;
}

/** What a viewer or operator may see: who they are, and About. */
function ReadOnlySettings({ backend }: { backend: Backend }) {
  const client = useMemo(() => api(backend), [backend]);
  const caller = useCaller();
  const [status, setStatus] = useState({ text: "", seq: 0 });
  const announce = useCallback((text: string) => setStatus((s) => ({ text, seq: s.seq + 1 })), []);
  return (
    <main className="page settings">
      <h1 tabIndex={-1}>Settings</h1>
      <div className="settings-status" role="status" aria-live="polite">
        {status.text && <p key={status.seq}>{status.text}</p>}
      </div>
      <div className="banner banner-warn">
        <p>
          Only an admin can change settings. You are signed in as {caller.name} ({ROLE_LABEL[caller.role]}).
        </p>
      </div>
      <AboutSection client={client} announce={announce} />
    </main>
  );
}

function AdminSettings({ backend }: { backend: Backend }) {
  const client = useMemo(() => api(backend), [backend]);
  const [estate, setEstate] = useState<EstateFile | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [status, setStatus] = useState({ text: "", seq: 0 });
  // Edits must go against the newest revision even when a form's handler was made before it.
  const newest = useRef<EstateFile | null>(null);

  const accept = useCallback((next: EstateFile) => {
    newest.current = next;
    setEstate(next);
    setLoadError(null);
  }, []);

  const announce = useCallback((text: string) => setStatus((s) => ({ text, seq: s.seq + 1 })), []);

  const load = useCallback(
    () =>
      client.estate().then(
        (e) => {
          accept(e);
          return true;
        },
        (e: unknown) => {
          setLoadError(toBackendError(e));
          return false;
        },
      ),
    [client, accept],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const edits = useMemo<EstateEdits>(
    () => ({
      async change(edit, progress, done) {
        const current = newest.current;
        if (current === null) return toBackendError("The configuration is not loaded yet.");
        announce(progress);
        try {
          accept(await edit(current.revision));
          announce(done);
          return null;
        } catch (e) {
          // The form says what went wrong, next to the field or button; "Saving…" is over.
          announce("");
          return toBackendError(e);
        }
      },
      async reload() {
        const ok = await load();
        announce(
          ok
            ? "Reloaded the configuration file. Open forms keep your changes."
            : "Could not reload the configuration file.",
        );
        return ok;
      },
      announce,
    }),
    [accept, announce, load],
  );

  return (
    <main className="page settings">
      <h1 tabIndex={-1}>Settings</h1>
      {/* Always rendered, so screen readers already watch it when the first message arrives. */}
      <div className="settings-status" role="status" aria-live="polite">
        {status.text && <p key={status.seq}>{status.text}</p>}
      </div>

      {estate === null && loadError === null && <p className="muted">Loading the configuration…</p>}
      {loadError && (
        <div className="banner banner-error" role="alert">
          <p>Cannot load the configuration: {loadError.message}</p>
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}

      {estate && (
        <>
          <EstateNotice
            estate={estate}
            backend={backend}
            accept={accept}
            announce={announce}
            create={client.createEstate}
          />
          {/* A file yet to be created has nothing to list; the notice above offers to create it. */}
          {(estate.exists || estate.path === null) && (
            <>
              <EnvironmentsSection estate={estate} client={client} edits={edits} />
              <ChecksSection estate={estate} client={client} edits={edits} />
            </>
          )}
        </>
      )}

      <TokensSection client={client} announce={announce} desktop={backend.desktop} />
      {backend.desktop && <DesktopSection desktop={backend.desktop} announce={announce} />}
      <AboutSection client={client} announce={announce} />
    </main>
  );
}

interface EstateNoticeProps {
  estate: EstateFile;
  backend: Backend;
  accept: (estate: EstateFile) => void;
  announce: (message: string) => void;
  create: () => Promise<EstateFile>;
}

/** Why the estate cannot be edited, and on first run the way to a file of one's own. */
function EstateNotice({ estate, backend, accept, announce, create }: EstateNoticeProps) {
  const headingId = useId();
  const [creating, setCreating] = useState(false);
  const [createError, attemptCreate] = useActionError();
  const [created, setCreated] = useState(false);
  const [restartError, attemptRestart] = useActionError();
  const createdRef = useRef<HTMLDivElement>(null);
  const focusNext = useFocusAfterRender();

  const createFile = async () => {
    if (creating) return;
    setCreating(true);
    await attemptCreate(async () => {
      accept(await create());
      setCreated(true);
      announce("Created the configuration file.");
      // The button that had focus is gone; the notice replacing it says what comes next.
      focusNext(() => createdRef.current);
    });
    setCreating(false);
  };

  const restart = async () => {
    const desktop = backend.desktop;
    if (!desktop) return;
    await attemptRestart(() => desktop.restart());
  };

  if (created) {
    return (
      <div ref={createdRef} tabIndex={-1} className="banner banner-warn">
        <p>
          Created <code className="wrap">{estate.path}</code>. The demo estate keeps running until opsdeck
          restarts.
        </p>
        {backend.desktop ? (
          <button type="button" onClick={() => void restart()}>
            Restart opsdeck now
          </button>
        ) : (
          <p>
            Restart <code>opsdeck serve</code> to use it.
          </p>
        )}
        {restartError && <p className="error-text">Could not restart: {restartError.message}</p>}
      </div>
    );
  }

  if (!estate.exists && estate.path !== null) {
    return (
      <section className="banner banner-warn" aria-labelledby={headingId}>
        <h2 id={headingId}>No configuration file yet</h2>
        <p className="settings-reason">
          {estate.read_only_reason ?? "opsdeck is showing the built-in demo estate until you create one."}
        </p>
        <button type="button" aria-disabled={creating || undefined} onClick={() => void createFile()}>
          {creating ? "Creating…" : "Create configuration file"}
        </button>
        {createError && (
          <p className="error-text" role="alert">
            Could not create the file: {createError.message}
          </p>
        )}
      </section>
    );
  }

  if (!estate.editable) {
    return (
      <div className="banner banner-warn">
        <p>
          <strong>These settings are read-only.</strong>
        </p>
        <p className="settings-reason">
          {estate.read_only_reason ?? "The configuration cannot be edited here."}
        </p>
      </div>
    );
  }

  return null;
}
