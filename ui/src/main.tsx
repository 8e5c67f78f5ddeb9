import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { createBackend } from "./backend";
import { takeTokenFromLocation } from "./lib/signInLink";
import "./styles.css";

const root = document.getElementById("root");
if (root === null) throw new Error("missing #root element");

// A sign-in link (`#token=…`): the token leaves the address bar and the history before anything
// else runs; the app then signs in with it.
const backend = createBackend();
const signInToken = backend.session ? takeTokenFromLocation() : null;

createRoot(root).render(
  <StrictMode>
    <App backend={backend} signInToken={signInToken} />
  </StrictMode>,
);

registerServiceWorker();

/**
 * The service worker is for the console in a browser only. The desktop shell loads the UI
 * from its own protocol (detected as `createBackend` does, by the shell's injected global),
 * and development builds must always reach the Vite server, never a cached copy.
 */
function registerServiceWorker() {
  if (!import.meta.env.PROD) return;
  if ("__TAURI_INTERNALS__" in window) return;
  if (!/^https?:$/.test(window.location.protocol) || !("serviceWorker" in navigator)) return;
  window.addEventListener("load", () => {
    // Without it the console works as before, just not offline.
    navigator.serviceWorker.register("./sw.js").catch(() => undefined);
  });
}
