// The web UI end to end in headless Chromium against a real `opsdeck demo` server: the
// overview on a desktop-sized window and on a 360 px phone, search, the only-problems filter,
// a check's detail page, and "Check now". Screenshots of the real UI go to docs/screenshots/.
//
// Usage: node tests/web/smoke.mjs http://127.0.0.1:PORT [CHROMIUM]
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), "../../ui/package.json"));
const { chromium } = require("playwright-core");

const base = process.argv[2];
const executablePath = process.argv[3] ?? "/usr/bin/chromium";
const shots = join(dirname(fileURLToPath(import.meta.url)), "../../docs/screenshots");
mkdirSync(shots, { recursive: true });

let passed = 0;
let failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

try {
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors = [];
  desktop.on("pageerror", (e) => errors.push(String(e)));

  await test("overview shows every environment, worst first, with status text", async () => {
    await desktop.goto(base, { waitUntil: "networkidle" });
    // Results arrive over the live stream within a few seconds of start.
    await desktop.getByText("Field Service Web API").first().waitFor({ timeout: 20_000 });
    await desktop.waitForFunction(() => !document.body.innerText.includes("not checked yet"), null, {
      timeout: 20_000,
    });
    const text = await desktop.locator("body").innerText();
    for (const env of ["Live", "Test", "Dev"]) assert(text.includes(env), `environment ${env} missing`);
    assert(/down/i.test(text) && /degraded/i.test(text), "statuses are shown as text");
    const firstEnv = text.indexOf("Test");
    assert(firstEnv >= 0 && firstEnv < text.indexOf("Dev"), "the environment with a down check comes first");
    await desktop.waitForTimeout(1500);
    await desktop.screenshot({ path: join(shots, "overview-desktop.png") });
  });

  await test("search and only-problems narrow the list", async () => {
    const search = desktop.getByRole("searchbox");
    await search.fill("reporting");
    await desktop.waitForTimeout(300);
    let text = await desktop.locator("main").innerText();
    assert(text.includes("Reporting API"), "search finds Reporting API");
    assert(!text.includes("Identity Server"), "search hides other checks");
    await search.fill("");
    await desktop.getByLabel("Only problems").check();
    await desktop.waitForTimeout(300);
    text = await desktop.locator("main").innerText();
    assert(text.includes("Epicor Sync API"), "the degraded check is a problem");
    assert(!text.includes("Identity Server"), "healthy checks are hidden");
    await desktop.getByLabel("Only problems").uncheck();
  });

  await test("check detail shows the ASP.NET entries and runs a check now", async () => {
    await desktop.goto(`${base}/#/check/reporting-api-test`, { waitUntil: "networkidle" });
    await desktop.getByText("sqlserver").first().waitFor({ timeout: 10_000 });
    const text = await desktop.locator("main").innerText();
    assert(text.includes("A network-related or instance-specific error"), "the entry's exception is shown");
    await desktop.getByRole("button", { name: /check now/i }).click();
    await desktop.waitForTimeout(1000);
    await desktop.screenshot({ path: join(shots, "check-detail-desktop.png") });
  });

  await test("phone layout: 360 px without horizontal scrolling", async () => {
    const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    await phone.goto(base, { waitUntil: "networkidle" });
    await phone.getByText("Field Service Web API").first().waitFor({ timeout: 20_000 });
    await phone.waitForTimeout(1500);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await phone.screenshot({ path: join(shots, "overview-phone.png") });
    await phone.goto(`${base}/#/check/epicor-sync-live`, { waitUntil: "networkidle" });
    await phone.getByText("rabbitmq").first().waitFor({ timeout: 10_000 });
    await phone.waitForTimeout(800);
    await phone.screenshot({ path: join(shots, "check-detail-phone.png") });
  });

  await test("no script errors", async () => {
    assert(errors.length === 0, errors.join("\n"));
  });
} finally {
  await browser.close();
}

console.log(`web: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
