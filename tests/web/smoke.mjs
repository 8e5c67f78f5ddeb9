// The web UI end to end in headless Chromium against a real `opsdeck demo` server: the
// overview (list and grid, counts, search, only problems), the Ctrl+K palette, a check's
// detail page and "Check now", the Queues page and a queue's charts, the Alerts page (acknowledging,
// snoozing, a check's timeline and notes), the CAB page (the pipeline and environment matrix, an install,
// an approval and a promotion, an upload refused after a concurrent commit, the audit log and its
// chain), the Environments page (the demo's Epicor environments as cards and side by side, a
// refresh, the phone layout), a status change reaching an open page live, the phone layout,
// the dark theme, Settings (read-only on the demo; a real edit against `opsdeck serve` on a
// temporary file), signing in, tokens and phone pairing, the Credentials page with the real
// keychain, the PWA manifest and service worker, and the page riding out a server restart. Screenshots of the real UI go to docs/screenshots/.
//
// Usage: OPSDECK_TOKEN=… node tests/web/smoke.mjs http://127.0.0.1:PORT [CHROMIUM] [OPSDECK_BIN]
//
// OPSDECK_TOKEN is an admin token of that server (`opsdeck token create --role admin` with the
// server's data directory); it comes from the environment, never the command line.
// CHROMIUM defaults to /usr/bin/chromium. OPSDECK_BIN (also taken from the environment)
// defaults to ${CARGO_TARGET_DIR:-target}/debug/opsdeck; the tests that need a server of
// their own (settings edit, engine unreachable) start it. WEB_TESTS=REGEX runs only the
// tests whose name matches. Output: `ok - NAME` / `not ok - NAME` per test, then
// `web: N passed, N failed`; the exit status is non-zero when a test failed.

import { accessTests } from "./suite/access.mjs";
import { alertTests } from "./suite/alerts.mjs";
import { cabTests } from "./suite/cab.mjs";
import { detailTests, paletteTests } from "./suite/detail.mjs";
import { epicorTests } from "./suite/epicor.mjs";
import { darkTests, liveTests, phoneTests } from "./suite/live.mjs";
import { overviewTests } from "./suite/overview.mjs";
import { pwaTests } from "./suite/pwa.mjs";
import { queueTests } from "./suite/queues.mjs";
import { settingsTests } from "./suite/settings.mjs";
import { unreachableTests } from "./suite/unreachable.mjs";
import {
  assert,
  ensureShotsDir,
  killAll,
  launchBrowser,
  opsdeckBinary,
  pageErrors,
  registerToken,
  summary,
  test,
} from "./lib/harness.mjs";

const base = (process.argv[2] ?? "").replace(/\/+$/, "");
if (!/^https?:\/\//.test(base)) {
  console.error("usage: node tests/web/smoke.mjs http://127.0.0.1:PORT [CHROMIUM] [OPSDECK_BIN]");
  process.exit(2);
}
if (!process.env.OPSDECK_TOKEN) {
  console.error("set OPSDECK_TOKEN to an admin token of the server under test");
  process.exit(2);
}
registerToken(base, process.env.OPSDECK_TOKEN);
const executablePath = process.argv[3] || "/usr/bin/chromium";
const binary = opsdeckBinary(process.argv[4]);
ensureShotsDir();

let browser;
let crashed = 0;
try {
  browser = await launchBrowser(executablePath);
  const ctx = { browser, base, binary };
  await overviewTests(ctx);
  await paletteTests(ctx);
  await detailTests(ctx);
  await queueTests(ctx);
  await alertTests(ctx);
  await cabTests(ctx);
  await epicorTests(ctx);
  await liveTests(ctx);
  await phoneTests(ctx);
  await darkTests(ctx);
  await settingsTests(ctx);
  await accessTests(ctx);
  await pwaTests(ctx);
  await unreachableTests(ctx);
  await test("no script errors", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
} catch (e) {
  console.log(`not ok - the suite could not run\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
  crashed = 1;
} finally {
  await browser?.close().catch(() => undefined);
  await killAll();
}

const { passed, failed } = summary();
console.log(`web: ${passed} passed, ${failed + crashed} failed`);
process.exit(failed + crashed === 0 ? 0 : 1);
