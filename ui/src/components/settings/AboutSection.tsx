import { useEffect, useId, useState } from "react";
import { toBackendError, type Api, type BackendError } from "../../backend";
import type { About } from "../../bindings/About";

const OS_NAME: Partial<Record<string, string>> = { windows: "Windows", macos: "macOS", linux: "Linux" };

export interface AboutSectionProps {
  client: Api;
  announce: (message: string) => void;
}

export function AboutSection({ client, announce }: AboutSectionProps) {
  const headingId = useId();
  const [about, setAbout] = useState<About | null>(null);
  const [error, setError] = useState<BackendError | null>(null);

  useEffect(() => {
    let cancelled = false;
    client.about().then(
      (a) => {
        if (!cancelled) setAbout(a);
      },
      (e: unknown) => {
        if (!cancelled) setError(toBackendError(e));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client]);

  // Without a secure context (plain http to another machine) there is no clipboard to write.
  const canCopy = typeof navigator !== "undefined" && typeof navigator.clipboard?.writeText === "function";
  const copy = async (what: string, path: string) => {
    try {
      await navigator.clipboard.writeText(path);
      announce(`Copied the ${what} path.`);
    } catch {
      announce(`Could not copy the ${what} path; select it and copy it by hand.`);
    }
  };

  const path = (what: string, value: string | null) =>
    value === null ? (
      <span className="muted">none</span>
    ) : (
      <span className="settings-path">
        <code className="wrap">{value}</code>
        {canCopy && (
          <button type="button" onClick={() => void copy(what, value)}>
            Copy <span className="sr-only">{what} path</span>
          </button>
        )}
      </span>
    );

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h2 id={headingId}>About</h2>
      {error && (
        <p className="banner banner-error" role="alert">
          Cannot load this information: {error.message}
        </p>
      )}
      {about === null && error === null && <p className="muted">Loading…</p>}
      {about && (
        <dl className="settings-about">
          <div>
            <dt>Version</dt>
            <dd>{about.version}</dd>
          </div>
          <div>
            <dt>Operating system</dt>
            <dd>{OS_NAME[about.os] ?? about.os}</dd>
          </div>
          <div>
            <dt>Configuration file</dt>
            <dd>
              {path("configuration file", about.config_path)}
              {about.demo && (
                <span className="muted settings-about-note">The built-in demo estate is running.</span>
              )}
            </dd>
          </div>
          <div>
            <dt>Data folder</dt>
            <dd>{path("data folder", about.data_dir)}</dd>
          </div>
          <div>
            <dt>Database</dt>
            <dd>{path("database", about.database)}</dd>
          </div>
          <div>
            <dt>Log folder</dt>
            <dd>{path("log folder", about.log_dir)}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
