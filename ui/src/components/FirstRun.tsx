import { useId } from "react";
import { canAdminister, useCaller } from "../lib/roles";
import { SETTINGS_HREF } from "../lib/route";

const EXAMPLE = `[[environment]]
id = "live"
name = "Live"

[[check]]
id = "website-live"
name = "Website"
type = "http"
environment = "live"
url = "https://www.example.com/health"
tags = ["web"]`;

/** What an empty estate shows instead of an empty list: the ways to add the first check. */
export function FirstRun({ configPath }: { configPath: string | null }) {
  const headingId = useId();
  const admin = canAdminister(useCaller());
  return (
    <section className="first-run" aria-labelledby={headingId}>
      <h2 id={headingId}>No checks yet</h2>
      <p>
        opsdeck watches the health endpoints listed in its configuration. Add a check and it shows up here
        within seconds, without a restart.
      </p>
      <ol className="first-run-steps">
        <li>
          <h3>Add a check in the console</h3>
          {admin ? (
            <p>
              Open <a href={SETTINGS_HREF}>Settings</a> and choose <strong>Add check</strong>.
            </p>
          ) : (
            <p>An admin can add checks under Settings.</p>
          )}
        </li>
        <li>
          <h3>Or edit the configuration file</h3>
          {configPath ? (
            <p>
              The file is <code className="wrap">{configPath}</code>.
            </p>
          ) : (
            <p>
              The file is <code>opsdeck.toml</code> in the opsdeck config folder; on Windows,{" "}
              <code className="wrap">%APPDATA%\opsdeck\config\opsdeck.toml</code>.
            </p>
          )}
          <p>
            opsdeck reloads it a few seconds after you save it. Every key is described in the configuration
            reference (<code>docs/config-reference.md</code>). For example:
          </p>
          <pre className="first-run-example">
            <code>{EXAMPLE}</code>
          </pre>
        </li>
        <li>
          <h3>Just looking around?</h3>
          <p>
            Run <code>opsdeck demo</code> on the command line, then open{" "}
            <code>http://127.0.0.1:7410/</code>: a sample estate of about thirty services, some of them
            slow, degraded or down.
          </p>
        </li>
      </ol>
    </section>
  );
}
