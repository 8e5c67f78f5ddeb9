import type { Backend } from "../backend";

// Placeholder until the settings page lands: the route, nav link and palette entry already
// point here.
export function SettingsPage({ backend }: { backend: Backend }) {
  void backend;
  return (
    <main className="page">
      <h1 tabIndex={-1}>Settings</h1>
    </main>
  );
}
