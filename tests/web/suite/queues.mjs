// The Queues page and a queue's page against the shared demo, whose built-in fake broker has
// moving, growing, stalling, idle and dead-letter queues, and the demo's heartbeat files.

import { join } from "node:path";
import {
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  PHONE,
  SHOTS,
  test,
  withPage,
} from "../lib/harness.mjs";

const QUEUES = [
  "erp.orders",
  "erp.invoices",
  "erp.shipments",
  "erp.edi.inbound",
  "erp.audit",
  "erp.sync",
  "erp.notifications",
  "erp.orders.dlq",
];

/** The queue rows as {id, status, movement, depth}, in page order. */
async function rows(page) {
  return page.locator("tbody tr.queue-row").evaluateAll((trs) =>
    trs.map((tr) => ({
      id: tr.dataset.queueId,
      status: tr.querySelector("td.q-status .status-text")?.textContent?.trim(),
      movement: tr.querySelector("td.q-movement .movement-text")?.textContent?.trim(),
      depth: tr.querySelector("td.q-depth")?.textContent?.trim(),
      spark: tr.querySelector("td.q-spark svg.spark path")?.getAttribute("d") ?? "",
    })),
  );
}

export async function queueTests({ browser, base }) {
  await test("queues: every queue of the broker, trouble first, with movement and sparklines", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queues" }).click();
      await page.getByRole("heading", { level: 1, name: "Queues" }).waitFor();
      const table = page.getByRole("table", { name: "Queues" });
      await table.waitFor({ timeout: 20_000 });
      // The stalled queue needs its `stalled_after` (30 s) and damping to go down.
      const shown = await eventually(
        async () => {
          const r = await rows(page);
          return r.length === QUEUES.length && r[0].id === "erp-mq/erp.sync" && r[0].movement === "Stalled" && r;
        },
        { timeout: 120_000, interval: 1000, message: "erp.sync stalled, at the top" },
      );
      assertEqual([...shown.map((r) => r.id.slice("erp-mq/".length))].sort().join(","), [...QUEUES].sort().join(","), "queues");
      const byId = Object.fromEntries(shown.map((r) => [r.id.slice("erp-mq/".length), r]));
      assertEqual(byId["erp.orders"].movement, "Moving", "erp.orders movement");
      assertEqual(byId["erp.audit"].movement, "Growing", "erp.audit movement");
      assertEqual(byId["erp.notifications"].movement, "Idle", "erp.notifications movement");
      const dlq = page.locator('tr.queue-row[data-queue-id="erp-mq/erp.orders.dlq"]');
      assertEqual((await dlq.locator(".q-tag").textContent())?.trim(), "dead letters", "dead-letter tag");
      assertEqual(byId["erp.orders.dlq"].status, "Degraded", "dead letters are degraded");
      assert(shown.every((r) => r.spark.startsWith("M")), "every row has a sparkline");
      await page.screenshot({ path: join(SHOTS, "queues-desktop.png"), fullPage: true });

      // Filter and only problems.
      await page.getByRole("searchbox", { name: "Filter queues" }).fill("orders");
      await eventually(async () => (await rows(page)).length === 2, { message: "two queues named orders" });
      await page.getByRole("searchbox", { name: "Filter queues" }).fill("");
      await page.getByLabel("Only problems").check();
      await eventually(
        async () => {
          const r = await rows(page);
          return r.length >= 2 && r.every((x) => x.status !== "Up") && r;
        },
        { message: "only the stalled and dead-letter queues" },
      );
      await page.getByLabel("Only problems").uncheck();
    });
  });

  await test("queues: a queue's page shows depth and rate charts with the threshold", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/queues`);
      const link = page.locator('a[data-check-id="erp-mq/erp.audit"]');
      await link.waitFor({ timeout: 20_000 });
      await link.click();
      await page.getByRole("heading", { name: "Queue", exact: true }).waitFor();
      await page.getByRole("heading", { name: "Depth and rates" }).waitFor();
      const depth = page.getByRole("img", { name: /^Messages in the queue/ });
      await depth.waitFor({ timeout: 15_000 });
      await page.getByRole("img", { name: /^Messages per second/ }).waitFor();
      assert((await page.locator("line.chart-threshold-limit").count()) >= 1 || (await page.getByText(/max depth 5,000/).count()) >= 1, "max_depth is drawn or named");
      await page.getByRole("button", { name: "Show depth and rates for the last hour" }).click();
      await eventually(
        async () => (await page.getByRole("button", { name: "Show depth and rates for the last hour" }).getAttribute("aria-pressed")) === "true",
        { message: "the hour window selected" },
      );
      await page.getByRole("link", { name: "← All queues" }).waitFor();
      await page.screenshot({ path: join(SHOTS, "queue-detail-desktop.png"), fullPage: true });
    });
  });

  await test("queues: heartbeat files in words, the stale one down", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/check/edi-import-beat`);
      await page.getByRole("heading", { name: "Heartbeat", exact: true }).waitFor({ timeout: 20_000 });
      await eventually(async () => /Last beat 4\d min ago/.test(await page.locator("main").innerText()), {
        message: "last beat about 40 min ago",
      });
      await page.getByRole("heading", { name: "Heartbeat age" }).waitFor();
      await page.screenshot({ path: join(SHOTS, "heartbeat-desktop.png"), fullPage: true });
    });
  });

  await test("queues: the page fits a phone", async () => {
    await withPage(browser, PHONE, async (page) => {
      await page.goto(`${base}/#/queues`);
      await page.locator("tbody tr.queue-row").first().waitFor({ timeout: 20_000 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 360, `no sideways scroll (page is ${width} px wide)`);
      await page.screenshot({ path: join(SHOTS, "queues-phone.png"), fullPage: true });
    });
  });
}
