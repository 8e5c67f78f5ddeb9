// The Ctrl+K palette and a check's detail page against the shared demo.

import { join } from "node:path";
import {
  allChecks,
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  getJson,
  overviewOf,
  SHOTS,
  test,
  waitForOverview,
  withPage,
} from "../lib/harness.mjs";

/** The rows of the "Health report entries" table as {name, status, duration, description, exception}. */
async function entryRows(page) {
  const table = page.getByRole("region", { name: "Health report entries" }).locator("table.entries");
  await table.waitFor({ timeout: 10_000 });
  return table.locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const cell = (label) => tr.querySelector(`[data-label="${label}"]`);
      return {
        name: cell("Name")?.textContent?.trim(),
        status: cell("Status")?.textContent?.trim(),
        duration: cell("Duration")?.textContent?.trim(),
        description: cell("Description")?.textContent?.trim(),
        hasException: cell("Exception")?.querySelector("details") !== null,
      };
    }),
  );
}

export async function paletteTests({ browser, base }) {
  await test("palette: Ctrl+K, part of a name, Enter opens that check", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const overview = await overviewOf(base);
      const envIdByName = Object.fromEntries(overview.environments.map((e) => [e.name, e.id]));

      await page.keyboard.press("Control+k");
      const dialog = page.getByRole("dialog", { name: "Jump to" });
      await dialog.waitFor({ timeout: 3000 }).catch(() => {
        throw new Error('Ctrl+K did not open a dialog named "Jump to"');
      });
      const input = dialog.getByRole("combobox", { name: "Find a check or page" });
      assert(await input.evaluate((el) => el === document.activeElement), "the palette's input does not have focus");
      await input.pressSequentially("epicor sy", { delay: 30 });
      const options = dialog.getByRole("option");
      await eventually(async () => (await options.count()) === 3, {
        timeout: 5000,
        message: 'three options for "epicor sy" (Epicor Sync API in Live, Test and Dev)',
      });
      const selected = dialog.locator('[role="option"][aria-selected="true"]');
      assertEqual(await selected.count(), 1, "selected options");
      const label = await selected.getAttribute("aria-label"); // "Epicor Sync API, Live, Degraded"
      const [name, envName] = label.split(", ");
      assertEqual(name, "Epicor Sync API", "name of the highlighted option");
      assert(envIdByName[envName], `the highlighted option's environment "${envName}" is not an environment`);
      const activeId = await input.getAttribute("aria-activedescendant");
      assertEqual(activeId, await selected.getAttribute("id"), "aria-activedescendant names the highlighted option");
      // The palette is a modal over the viewport: a full-page shot would show it over a strip.
      await page.screenshot({ path: join(SHOTS, "palette-desktop.png") });

      await page.keyboard.press("Enter");
      await dialog.waitFor({ state: "detached", timeout: 3000 });
      const expected = `epicor-sync-${envIdByName[envName]}`;
      await page.waitForFunction((h) => location.hash === h, `#/check/${expected}`, { timeout: 5000 }).catch(async () => {
        throw new Error(`Enter went to ${await page.evaluate(() => location.hash)}, expected #/check/${expected}`);
      });
      const h1 = page.getByRole("heading", { level: 1 });
      await eventually(async () => (await h1.innerText()).trim() === "Epicor Sync API", {
        timeout: 5000,
        message: "the detail page's heading to be Epicor Sync API",
      });

      // The button opens it too, and Escape closes it without navigating.
      await page.getByRole("button", { name: /Jump to/ }).click();
      await dialog.waitFor({ timeout: 3000 });
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached", timeout: 3000 });
      assertEqual(await page.evaluate(() => location.hash), `#/check/${expected}`, "hash after Escape");
    });
  });
}

export async function detailTests({ browser, base }) {
  await test("detail: ASP.NET entries of a degraded service", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/check/epicor-sync-live`);
      const rows = await entryRows(page);
      const rabbit = rows.find((r) => r.name === "rabbitmq");
      assert(rabbit, `no rabbitmq entry; entries: ${JSON.stringify(rows)}`);
      assertEqual(rabbit.status, "Degraded", "status of the rabbitmq entry");
      assertEqual(rabbit.description, "Queue erp.sync has 4,210 messages waiting", "description of the rabbitmq entry");
      assert(/^\d[\d.,]*\s*(ms|s)$/.test(rabbit.duration), `duration "${rabbit.duration}" is not a duration`);
      // Every entry the engine has, in the table, with its status.
      const api = (await getJson(`${base}/api/checks/epicor-sync-live`)).check.details.entries;
      const word = { up: "Up", degraded: "Degraded", down: "Down", unknown: "Unknown" };
      assertEqual(rows.length, api.length, "entries in the table");
      for (const e of api) {
        const r = rows.find((x) => x.name === e.name);
        assert(r && r.status === word[e.status], `entry ${e.name}: table has ${JSON.stringify(r)}, engine says ${e.status}`);
      }
      const h1 = (await page.getByRole("heading", { level: 1 }).innerText()).trim();
      assertEqual(h1, "Epicor Sync API", "heading");
      const badge = await page.locator(".detail-head .status-text").innerText();
      assertEqual(badge.trim(), "Degraded", "status next to the heading");
    });
  });

  await test("detail: exception of an unhealthy service, chart, uptime, status changes", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/check/reporting-api-test`);
      const rows = await entryRows(page);
      const sql = rows.find((r) => r.name === "sqlserver");
      assert(sql, `no sqlserver entry; entries: ${JSON.stringify(rows)}`);
      assertEqual(sql.status, "Down", "status of the sqlserver entry (Unhealthy)");
      assert(sql.hasException, "the sqlserver entry has no exception to show");
      const exceptionText = "A network-related or instance-specific error";
      assert(sql.description.includes(exceptionText), `description "${sql.description}"`);
      const region = page.getByRole("region", { name: "Health report entries" });
      await region.getByText("Show exception").first().click();
      const pre = region.locator("details[open] pre").first();
      await pre.waitFor({ timeout: 3000 });
      assert((await pre.innerText()).includes(exceptionText), "the opened exception does not show the exception text");

      // Latency chart: an image with an accessible name that describes it.
      const chart = page.getByRole("img", { name: /Average latency per .* last 24 hours/ });
      await chart.waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error('no latency chart (role="img" named "Average latency per … last 24 hours")');
      });
      const tag = await chart.evaluate((el) => el.tagName.toLowerCase());
      assert(tag === "svg" || tag === "canvas", `the chart is a <${tag}>`);

      // Uptime over four windows, each a percentage.
      const uptime = page.getByRole("region", { name: "Uptime" });
      const labels = (await uptime.locator("dt").allInnerTexts()).map((s) => s.trim());
      assertEqual(labels.join("|"), "24 hours|7 days|30 days|1 year", "uptime windows");
      const values = (await uptime.locator("dd").allInnerTexts()).map((s) => s.trim());
      for (const v of values) assert(/^\d[\d.,]*\s*%$/.test(v), `uptime value "${v}" is not a percentage`);
      assertEqual(values[0], "0%", "24-hour uptime of an always-down service");

      // The history window switch: 24 h, 7 d, 30 d, 1 y.
      const windows = page.getByRole("group", { name: "History window" });
      for (const [short, long] of [
        ["7 d", "last 7 days"],
        ["30 d", "last 30 days"],
        ["1 y", "last year"],
        ["24 h", "last 24 hours"],
      ]) {
        const button = windows.getByRole("button", { name: `Show ${long}` });
        assertEqual((await button.innerText()).trim(), short, `label of the ${long} button`);
        await button.click();
        assertEqual(await button.getAttribute("aria-pressed"), "true", `${short} pressed`);
        await page
          .locator("figure.chart figcaption", { hasText: long })
          .waitFor({ timeout: 10_000 })
          .catch(() => {
            throw new Error(`the chart caption does not say "${long}" after choosing ${short}`);
          });
      }

      // Status changes: at least the first result, with when and why.
      const changes = page.getByRole("region", { name: "Status changes" }).locator("ol.transitions li");
      assert((await changes.count()) >= 1, "no status change listed");
      const first = await changes.last().innerText();
      assert(/first result/.test(first), `the oldest status change does not give its reason: "${first}"`);
      assert((await changes.last().locator("time[datetime]").count()) === 1, "a status change has no <time>");
    });
  });

  await test("detail: Check now runs the check and shows the new result", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      const id = "reporting-api-test";
      await page.goto(`${base}/#/check/${id}`);
      await page.getByRole("region", { name: "Health report entries" }).waitFor({ timeout: 10_000 });
      const before = (await getJson(`${base}/api/checks/${id}`)).check.checked_at;
      const clickedAt = Date.now();
      const button = page.getByRole("button", { name: "Check now" });
      await button.click();
      const result = page.locator(".run-result");
      await eventually(async () => (await result.innerText()).includes("Unhealthy (sqlserver"), {
        timeout: 10_000,
        message: 'the run result ("Unhealthy (sqlserver: …)") under Check now',
      });
      assertEqual((await result.locator(".status-text").first().innerText()).trim(), "Down", "status of the run result");
      assert(!(await button.isDisabled()), "Check now stays disabled after the run");
      const after = (await getJson(`${base}/api/checks/${id}`)).check.checked_at;
      // Times have whole seconds: a scheduled run in the second of the click leaves the same
      // time, so "not older than the click" is what can be asked.
      assert(
        Date.parse(after) >= Math.floor(clickedAt / 1000) * 1000,
        `the run was not recorded (checked_at ${before} → ${after})`,
      );
      // "Last checked" follows.
      const lastChecked = page.locator(".facts div", { hasText: "Last checked" }).locator("dd time");
      await eventually(
        async () => Date.parse(await lastChecked.getAttribute("datetime")) >= Math.floor(clickedAt / 1000) * 1000,
        { timeout: 5000, message: '"Last checked" to show the new run' },
      );
      await page.screenshot({ path: join(SHOTS, "check-detail-desktop.png"), fullPage: true });
    });
  });
}

export { allChecks };
