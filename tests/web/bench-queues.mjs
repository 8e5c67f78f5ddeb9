// Browser benchmark of the Queues page with 500 queues, in headless Chromium against a real
// `opsdeck serve` watching a fake RabbitMQ management API (served by this script in the shape
// the real one answers: the paged envelope, queue objects with `messages*`, `consumers` and
// `message_stats`). Budget: navigation start → all 500 rows with their depth sparklines in the
// DOM at most 1,000 ms, median and worst over cold loads (a new browser context each).
//
// Usage: scripts/with-keyring node tests/web/bench-queues.mjs OPSDECK_BIN [CHROMIUM]
// (the broker password goes into the keychain, as in production). Knobs: BENCH_QUEUES (500),
// BENCH_LOADS (5), BENCH_HISTORY_SECONDS (20: polls before measuring, so sparklines have
// points). Exit status: 0 within budget, 1 over budget, 2 when the benchmark could not run.

import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import {
  DESKTOP,
  getJson,
  killAll,
  launchBrowser,
  opsdeckBinary,
  signIn,
  sleep,
  startOpsdeck,
  tempDir,
} from "./lib/harness.mjs";

const QUEUES = Number(process.env.BENCH_QUEUES ?? 500);
const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const HISTORY_SECONDS = Number(process.env.BENCH_HISTORY_SECONDS ?? 20);
const BUDGET_MS = 1000;
const PASSWORD = `bench-${process.pid}-${Date.now()}`;

const binary = opsdeckBinary(process.argv[2]);
const executablePath = process.argv[3] || process.env.BENCH_CHROMIUM || "/usr/bin/chromium";
const log = (...a) => console.error(...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A management API with QUEUES queues whose depths move with time. */
function startBroker() {
  const started = Date.now();
  const queue = (i) => {
    const t = (Date.now() - started) / 1000;
    const depth = Math.max(0, Math.round(50 + 40 * Math.sin(t / 5 + i)));
    return {
      name: `erp.bench.queue-${String(i).padStart(4, "0")}`,
      vhost: "/",
      state: "running",
      type: "classic",
      consumers: i % 7 === 0 ? 0 : 2,
      messages: depth,
      messages_ready: depth,
      messages_unacknowledged: 0,
      messages_details: { rate: 0 },
      message_stats: {
        publish: Math.round(10 * t),
        publish_details: { rate: 10 },
        deliver_get: Math.round(10 * t),
        deliver_get_details: { rate: i % 7 === 0 ? 0 : 10 },
        ack: Math.round(10 * t),
        ack_details: { rate: i % 7 === 0 ? 0 : 10 },
      },
      arguments: {},
    };
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const expected = `Basic ${Buffer.from(`monitor:${PASSWORD}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not_authorized", reason: "Login failed" }));
      return;
    }
    const size = Math.min(500, Number(url.searchParams.get("page_size") ?? 100));
    const page = Number(url.searchParams.get("page") ?? 1);
    const items = [];
    for (let i = (page - 1) * size; i < Math.min(QUEUES, page * size); i++) items.push(queue(i));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ filtered_count: QUEUES, item_count: items.length, items, page, page_count: Math.ceil(QUEUES / size), page_size: size, total_count: QUEUES }));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function installProbe(expected) {
  const b = (window.__bench = { rowsAt: null });
  const observer = new MutationObserver(() => {
    if (b.rowsAt !== null) return;
    if (document.querySelectorAll("tr.queue-row td.q-spark svg path").length >= expected) {
      b.rowsAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
}

async function main() {
  const tmp = tempDir("bench-queues");
  let browser;
  let server;
  let broker;
  try {
    broker = await startBroker();
    const port = broker.address().port;
    const secret = `bench-mq-${process.pid}`;
    execFileSync(binary, ["secret", "set", secret], { input: PASSWORD, env: { ...process.env, OPSDECK_DATA_DIR: tmp.dir }, stdio: ["pipe", "ignore", "inherit"] });
    const configPath = join(tmp.dir, "opsdeck.toml");
    writeFileSync(
      configPath,
      `[[check]]\nid = "bench-mq"\nname = "Bench broker"\ntype = "rabbitmq"\nurl = "http://127.0.0.1:${port}"\nvhost = "/"\n` +
        `username = "monitor"\npassword = { secret = "${secret}" }\ninterval = "2s"\nmin_consumers = 0\n`,
    );
    server = await startOpsdeck(binary, ["serve", "--config", configPath, "--listen", "127.0.0.1:0", "--data-dir", tmp.dir]);
    const base = server.url;
    for (const started = Date.now(); ; ) {
      const list = await getJson(`${base}/api/queues`);
      if (list.queues.length === QUEUES) break;
      if (Date.now() - started > 60_000) throw new Error(`only ${list.queues.length} queues after 60 s`);
      await sleep(500);
    }
    log(`${QUEUES} queues watched; letting ${HISTORY_SECONDS} s of history build up…`);
    await sleep(HISTORY_SECONDS * 1000);
    const sample = (await getJson(`${base}/api/queues`)).queues[0];
    log(`sparkline points per queue: ${sample.sparkline.length}`);

    browser = await launchBrowser(executablePath);
    const times = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext(DESKTOP);
      await signIn(context);
      try {
        await context.addInitScript(installProbe, QUEUES);
        const page = await context.newPage();
        await page.goto(`${base}/#/queues`, { waitUntil: "commit" });
        await page.waitForFunction(() => window.__bench?.rowsAt != null, null, { timeout: 30_000, polling: 50 });
        const at = await page.evaluate(() => window.__bench.rowsAt);
        times.push(at);
        log(`load ${i + 1}: ${QUEUES} rows with sparklines at ${Math.round(at)} ms`);
      } finally {
        await context.close();
      }
    }
    const med = median(times);
    const worst = Math.max(...times);
    const ok = med <= BUDGET_MS && worst <= BUDGET_MS;
    console.log(`== opsdeck web UI benchmark: Queues page with ${QUEUES} queues ==`);
    console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB; ${browser.version()}`);
    console.log(`rows with sparklines in the DOM after navigation start: median ${Math.round(med)} ms, worst ${Math.round(worst)} ms (runs: ${times.map((t) => Math.round(t)).join(", ")}); budget ${BUDGET_MS} ms: ${ok ? "PASS" : "FAIL"}`);
    return ok ? 0 : 1;
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.stop().catch?.(() => undefined);
    broker?.close();
    await killAll();
    tmp.remove();
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`the benchmark could not run: ${e?.stack ?? e}`);
    process.exit(2);
  },
);
