// Shared machinery of the browser tests: a tiny TAP-like runner, assertions, Chromium, and
// the processes the tests start themselves (extra `opsdeck` servers, a fake "Healthy"
// endpoint). Every process started here is registered and killed on exit, whatever happens.

import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SHOTS = join(REPO, "docs/screenshots");

const require = createRequire(join(REPO, "ui/package.json"));
export const { chromium } = require("playwright-core");

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const DESKTOP = { viewport: { width: 1280, height: 860 } };
export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

// ---------------------------------------------------------------------------------------
// Runner

const results = { passed: 0, failed: 0, skipped: 0 };
const only = process.env.WEB_TESTS ? new RegExp(process.env.WEB_TESTS, "i") : null;

/** Runs one test; a failure is reported and counted, never thrown. */
export async function test(name, fn) {
  if (only && !only.test(name)) {
    results.skipped += 1;
    return;
  }
  const started = Date.now();
  try {
    await fn();
    results.passed += 1;
    console.log(`ok - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.failed += 1;
    console.log(`not ok - ${name}\n  ${String(e?.stack ?? e).split("\n").join("\n  ")}`);
  }
}

export function summary() {
  return { ...results };
}

export class AssertionError extends Error {}

export function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/**
 * Polls `probe` until it returns a truthy value (which is returned) or the time is up; then
 * fails with `message` plus the last value seen, so a timeout says what the page showed.
 */
export async function eventually(probe, { timeout = 15_000, interval = 250, message = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? ` (last error: ${lastError.message ?? lastError})` : last !== undefined ? ` (last value: ${JSON.stringify(last)})` : "";
      throw new AssertionError(`timed out after ${timeout} ms waiting for ${message}${seen}`);
    }
    await sleep(interval);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Browser

/** Script errors from every page opened through `openPage`, reported by the last test. */
export const pageErrors = [];

export async function launchBrowser(executablePath) {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

// ---------------------------------------------------------------------------------------
// Signing in: every opsdeck server wants an API token. The tests hold an admin token per
// server (host:port) and sign each fresh browser context in with the server's cookie
// (`opsdeck_token_<port>`), and send it as a bearer token from the HTTP helpers. The
// sign-in screen itself is tested through the UI (suite/access.mjs).

const tokens = new Map();

/** Remembers the admin token of the server at `url`. */
export function registerToken(url, token) {
  tokens.set(new URL(url).host, token);
}

/** The token registered for the server of `url`, if any. */
export function tokenFor(url) {
  return tokens.get(new URL(url).host);
}

/** Creates an admin token in `dataDir` with the real CLI (printed once on stdout). */
export function createToken(binary, dataDir, role = "admin") {
  const name = `web-${role}-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return execFileSync(binary, ["token", "create", "--name", name, "--role", role, "--data-dir", dataDir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** Signs a browser context in to every server the tests know. */
export async function signIn(context) {
  const cookies = [...tokens].map(([host, value]) => ({
    name: `opsdeck_token_${new URL(`http://${host}`).port}`,
    value,
    url: `http://${host}`,
    httpOnly: true,
    sameSite: "Strict",
  }));
  if (cookies.length > 0) await context.addCookies(cookies);
}

/**
 * A page in a fresh context (own storage, own service worker), so tests do not leak state
 * into each other, signed in unless `signedIn: false`. Close it with
 * `page.context().close()`.
 */
export async function openPage(browser, options = DESKTOP, { signedIn = true } = {}) {
  const context = await browser.newContext(options);
  if (signedIn) await signIn(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`${page.url()}: ${e}`));
  return page;
}

/** Runs `fn(page)` in a fresh context and always closes the context. */
export async function withPage(browser, options, fn) {
  const page = await openPage(browser, options);
  try {
    return await fn(page);
  } finally {
    await page.context().close().catch(() => undefined);
  }
}

/** Waits until the overview lists checks and none of them is still "not checked yet". */
export async function waitForOverview(page, { timeout = 30_000 } = {}) {
  await page.locator("a[data-check-id]").first().waitFor({ timeout });
  await page
    .waitForFunction(() => !document.querySelector("main")?.innerText.includes("not checked yet"), null, { timeout })
    .catch(() => {
      throw new AssertionError(`some checks still say "not checked yet" after ${timeout} ms`);
    });
}

/** The `li.check-row` of one check on the overview. */
export function checkRow(page, id) {
  return page.locator("li.check-row", { has: page.locator(`a[data-check-id="${id}"]`) });
}

/** The confirmed status text of one check's row ("Up", "Down", …), or null without a row. */
export async function rowStatus(page, id) {
  const row = checkRow(page, id);
  if ((await row.count()) === 0) return null;
  // textContent, not innerText: rows scrolled out of view may skip rendering
  // (content-visibility) and then have no rendered text.
  return ((await row.locator(".row-status .status-text").first().textContent()) ?? "").trim();
}

export async function mainText(page) {
  return page.locator("main").innerText();
}

/** Fails with what sticks out when the page scrolls sideways on a 360 px phone. */
export async function assertFitsPhone(page, what) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) {
    const culprits = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > 360.5)
        .slice(0, 4)
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`),
    );
    assert(false, `${what} scrolls sideways (${width} px); sticking out: ${culprits.join(", ")}`);
  }
}

// ---------------------------------------------------------------------------------------
// HTTP helpers (plain node:http: no Origin header, like curl)

export function request(method, url, { body, headers = {}, timeout = 15_000, signedIn = true } = {}) {
  const token = signedIn ? tokenFor(url) : undefined;
  if (token && !Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
    headers = { ...headers, Authorization: `Bearer ${token}` };
  }
  return new Promise((resolvePromise, reject) => {
    const req = http.request(url, { method, headers, timeout }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolvePromise({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function getJson(url) {
  const r = await request("GET", url);
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
}

export const overviewOf = (base) => getJson(`${base}/api/overview`);

/** Every check of an overview, with its environment's name. */
export function allChecks(overview) {
  return overview.environments.flatMap((e) => e.checks.map((c) => ({ ...c, envName: e.name })));
}

/**
 * Waits (at most `timeout`) until the overview has a 24-hour uptime for every check, so that
 * screenshots show real figures rather than "—"; the engine fills that map within about a
 * minute of start. Returns the seconds waited, or null when it gave up.
 */
export async function waitForUptime(base, timeout = 90_000) {
  const started = Date.now();
  for (;;) {
    const o = await overviewOf(base);
    const ids = allChecks(o).map((c) => c.id);
    if (ids.length > 0 && ids.every((id) => typeof o.uptime_24h[id] === "number")) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeout) return null;
    await sleep(2000);
  }
}

/** "Check now" through the API. */
export async function runCheck(base, id) {
  const r = await request("POST", `${base}/api/checks/${encodeURIComponent(id)}/run`);
  if (r.status !== 200) throw new Error(`run ${id}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text);
}

/**
 * Sets a demo fake service's behaviour (`healthy`, `degraded`, `unhealthy`, `reset`). The
 * control URL is derived from the check's URL: `http://FAKE/svc/NAME/HealthCheck` →
 * `http://FAKE/svc/NAME/behaviour`.
 */
export async function setBehaviour(checkUrl, behaviour) {
  const control = checkUrl.replace(/\/HealthCheck$/, "/behaviour");
  assert(control !== checkUrl, `cannot derive the behaviour URL from ${checkUrl}`);
  const r = await request("PUT", control, { body: behaviour, headers: { "Content-Type": "text/plain" } });
  if (r.status !== 204) throw new Error(`PUT ${control} ${behaviour}: HTTP ${r.status} ${r.text}`);
}

// ---------------------------------------------------------------------------------------
// Processes

const children = new Set();

function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Starts a process that is killed with the others on exit (see `killAll`). */
export function spawnTracked(command, args, options) {
  return track(spawn(command, args, options));
}

/** Kills every process the tests started that is still running (by pid). */
export async function killAll() {
  await Promise.all([...children].map((c) => stopProcess(c)));
}

function killAllSync() {
  for (const c of children) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}
process.once("exit", killAllSync);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killAllSync();
    process.exit(130);
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export function stopProcess(child, { signal = "SIGTERM", graceMs = 5000 } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        /* gone */
      }
    }, graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolvePromise();
    });
    try {
      process.kill(child.pid, signal);
    } catch {
      clearTimeout(timer);
      resolvePromise();
    }
  });
}

/** The opsdeck binary: argv, `OPSDECK_BIN`, else `${CARGO_TARGET_DIR:-target}/debug/opsdeck`. */
export function opsdeckBinary(fromArgv) {
  const given = fromArgv || process.env.OPSDECK_BIN;
  if (given) return isAbsolute(given) ? given : resolve(process.cwd(), given);
  const target = process.env.CARGO_TARGET_DIR || "target";
  return resolve(REPO, target, "debug/opsdeck");
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `opsdeck-web-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `opsdeck ARGS…` (serve or demo) and resolves with its URL (without the trailing
 * slash) once it prints `opsdeck is serving http://…`. The built UI of this repository is
 * served (`--ui-dir`), so the tests run against the UI they were written for.
 */
export async function startOpsdeck(binary, args, { timeout = 30_000 } = {}) {
  assert(existsSync(binary), `opsdeck binary not found at ${binary} (pass it as the third argument or set OPSDECK_BIN)`);
  const uiDir = join(REPO, "ui/dist");
  const fullArgs = existsSync(join(uiDir, "index.html")) ? [...args, "--ui-dir", uiDir] : args;
  const dataDirAt = args.indexOf("--data-dir");
  const token = dataDirAt >= 0 ? createToken(binary, args[dataDirAt + 1]) : undefined;
  const child = track(spawn(binary, fullArgs, { stdio: ["ignore", "ignore", "pipe"] }));
  let log = "";
  const url = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`opsdeck ${args.join(" ")} did not start in ${timeout} ms:\n${log}`)), timeout);
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = /^opsdeck is serving (http\S+)\s/m.exec(log);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1].replace(/\/$/, ""));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`opsdeck ${args.join(" ")} exited (${code ?? signal}) before serving:\n${log}`));
    });
  });
  if (token) registerToken(url, token);
  // Keep draining stderr so the child never blocks on a full pipe.
  child.stderr.on("data", (chunk) => {
    log = (log + chunk).slice(-20_000);
  });
  return { url, child, log: () => log, stop: (opts) => stopProcess(child, opts) };
}

/**
 * A fake health endpoint: answers `Healthy` (text/plain, 200) on every path. Runs in this
 * process; `close()` stops it.
 */
export async function startHealthyServer() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
    res.end("Healthy");
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

export function ensureShotsDir() {
  mkdirSync(SHOTS, { recursive: true });
}
