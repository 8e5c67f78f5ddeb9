// The overview against the shared demo: environments, checks, counts, list and grid layouts,
// the four kinds of search, and "Only problems".

import { join } from "node:path";
import {
  allChecks,
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  overviewOf,
  SHOTS,
  test,
  waitForOverview,
  waitForUptime,
  withPage,
} from "../lib/harness.mjs";

const RANK = { Up: 0, Degraded: 1, Unknown: 2, Down: 3 };

/** Ids of the check rows on the page, in order. */
export const shownIds = (page) =>
  page.locator("a[data-check-id]").evaluateAll((links) => links.map((a) => a.dataset.checkId));

/** Sum of "N down", "N up", … in one `ul.counts`. */
async function countsSum(page, label) {
  const items = await page.locator(`ul.counts[aria-label="${label}"] li`).allInnerTexts();
  assert(items.length > 0, `no counts list labelled "${label}"`);
  let sum = 0;
  const seen = {};
  for (const item of items) {
    const m = /^(\d+)\s+(\w+)$/.exec(item.trim());
    assert(m, `count "${item}" in "${label}" is not "N status"`);
    sum += Number(m[1]);
    seen[m[2]] = Number(m[1]);
  }
  return { sum, seen };
}

function sameSet(actual, expected, what) {
  const a = [...new Set(actual)].sort();
  const e = [...new Set(expected)].sort();
  const missing = e.filter((x) => !a.includes(x));
  const extra = a.filter((x) => !e.includes(x));
  assert(
    missing.length === 0 && extra.length === 0,
    `${what}: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}`,
  );
}

/** Types into the overview's search box and waits for the list to match `expected` ids. */
async function searchFor(page, query, expected, what) {
  const search = page.getByRole("searchbox", { name: "Search checks" });
  await search.fill(query);
  let shown = [];
  try {
    await eventually(
      async () => {
        shown = await shownIds(page);
        return shown.length === expected.length && expected.every((id) => shown.includes(id));
      },
      { timeout: 5000, message: what },
    );
  } catch {
    sameSet(shown, expected, `${what} (query "${query}")`);
  }
  const count = (await page.locator("p.result-count").innerText()).trim();
  assert(count.startsWith(`Showing ${expected.length} of `), `result count says "${count}" for ${expected.length} matches`);
}

export async function overviewTests({ browser, base }) {
  await test("overview: every environment and check, with status text and counts", async () => {
    // Screenshots with real uptime figures: the engine has them within about a minute.
    const waited = await waitForUptime(base);
    if (waited === null) console.log("  # the 24-hour uptime of some checks is still missing after 90 s");
    else if (waited > 1) console.log(`  # waited ${waited.toFixed(0)} s for the 24-hour uptime of every check`);
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const overview = await overviewOf(base);
      const checks = allChecks(overview);

      const envNames = (await page.locator("section.env h2").allInnerTexts()).map((s) => s.trim());
      sameSet(envNames, overview.environments.map((e) => e.name), "environment headings");

      // Worst first: the environments' status badges never get better further down.
      const envStatuses = await page.locator("section.env .env-head .status-text").allInnerTexts();
      for (let i = 1; i < envStatuses.length; i++) {
        assert(
          RANK[envStatuses[i - 1].trim()] >= RANK[envStatuses[i].trim()],
          `environments are not worst first: ${envNames.join(", ")} have ${envStatuses.join(", ")}`,
        );
      }
      // Test (a down service) and Live (a stale heartbeat, later a stalled queue) both hold a
      // down check; Dev's Epicor is degraded (its report server); the customer's environment,
      // whose Epicor 10.2 is up, has no problem and comes last.
      assert(envStatuses[0].trim() === "Down", `an environment with a down check comes first, got ${envNames[0]}`);
      assertEqual(envNames[envNames.length - 1], "Customer 98411", "the environment without problems last");

      sameSet(await shownIds(page), checks.map((c) => c.id), "check rows");
      const resultCount = (await page.locator("p.result-count").innerText()).trim();
      assertEqual(resultCount, `${checks.length} checks`, "result count line");

      // Every row says its status in words, not only by colour.
      const rowStatuses = await page.locator("li.check-row .row-status .status-text").allTextContents();
      assertEqual(rowStatuses.length, checks.length, "rows with a status text");
      for (const s of rowStatuses) assert(s.trim() in RANK, `row status "${s}" is not a status word`);
      assert(rowStatuses.some((s) => s.trim() === "Down"), "no row says Down (Reporting API in Test is down)");
      assert(rowStatuses.some((s) => s.trim() === "Degraded"), "no row says Degraded (Epicor Sync API in Live is)");

      // Counts: the header lists all four statuses and adds up to the whole estate; each
      // environment's counts add up to its checks.
      const all = await countsSum(page, "All checks by status");
      assertEqual(all.sum, checks.length, "sum of the header counts");
      sameSet(Object.keys(all.seen), ["down", "unknown", "degraded", "up"], "statuses in the header counts");
      for (const env of overview.environments) {
        const { sum } = await countsSum(page, `Checks in ${env.name} by status`);
        assertEqual(sum, env.checks.length, `sum of the counts of ${env.name}`);
      }
      const overall = await page.locator(".app-summary .overall .status-text").innerText();
      assert(overall.trim() === "Down", `the overall status says "${overall}", expected Down`);
      assert((await page.locator(".live").innerText()).trim() === "Live", "the live indicator does not say Live");

      await page.screenshot({ path: join(SHOTS, "overview-desktop.png"), fullPage: true });
    });
  });

  await test("overview: list and grid layouts, remembered across reloads", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const layout = page.getByRole("group", { name: "Layout" });
      const list = layout.getByRole("button", { name: "List" });
      const grid = layout.getByRole("button", { name: "Grid" });
      assertEqual(await list.getAttribute("aria-pressed"), "true", "List pressed by default");
      assertEqual(await grid.getAttribute("aria-pressed"), "false", "Grid not pressed by default");
      const ids = await shownIds(page);

      // List: one check per line, so no two rows of an environment share a line.
      assertEqual(await page.locator("main").getAttribute("data-layout"), "list", "main[data-layout]");
      const listTops = await firstEnvRowTops(page);
      assertEqual(new Set(listTops).size, listTops.length, "rows per line in the list layout (distinct tops)");

      await grid.click();
      assertEqual(await grid.getAttribute("aria-pressed"), "true", "Grid pressed after clicking it");
      assertEqual(await list.getAttribute("aria-pressed"), "false", "List not pressed after clicking Grid");
      assertEqual(await page.locator("main").getAttribute("data-layout"), "grid", "main[data-layout] after Grid");
      assert((await page.locator("ul.checks-grid").count()) > 0, "no ul.checks-grid after choosing Grid");
      assertEqual(await page.locator("ul.checks-list").count(), 0, "list-layout lists left in grid layout");
      const gridTops = await firstEnvRowTops(page);
      assert(
        new Set(gridTops).size < gridTops.length,
        `the grid at 1280 px shows one card per line (tops ${gridTops.join(", ")})`,
      );
      sameSet(await shownIds(page), ids, "checks in the grid");
      await page.screenshot({ path: join(SHOTS, "overview-grid-desktop.png"), fullPage: true });

      await page.reload();
      await waitForOverview(page);
      assertEqual(
        await page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Grid" }).getAttribute("aria-pressed"),
        "true",
        "Grid still chosen after a reload",
      );
      await page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "List" }).click();
      assertEqual(await page.locator("main").getAttribute("data-layout"), "list", "back to the list layout");
      assert((await page.locator("ul.checks-list").count()) > 0, "no ul.checks-list after choosing List again");
    });
  });

  await test("search: by name", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const checks = allChecks(await overviewOf(base));
      const expected = checks.filter((c) => c.name === "Reporting API").map((c) => c.id);
      assert(expected.length >= 2, "the demo has Reporting API in several environments");
      await searchFor(page, "reporting", expected, "search by name");
      const text = await page.locator("main").innerText();
      assert(!text.includes("Identity Server"), "search by name still shows Identity Server");
      await page.getByRole("searchbox", { name: "Search checks" }).fill("");
      await eventually(async () => (await shownIds(page)).length === checks.length, {
        timeout: 5000,
        message: "every check back after clearing the search",
      });
    });
  });

  await test("search: by tag", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const checks = allChecks(await overviewOf(base));
      const expected = checks.filter((c) => c.tags.includes("finance")).map((c) => c.id);
      assert(expected.length > 0, "the demo has checks tagged finance");
      assert(
        expected.every((id) => !checks.find((c) => c.id === id).name.toLowerCase().includes("finance")),
        "test premise: 'finance' is only a tag, not in the names",
      );
      await searchFor(page, "finance", expected, "search by tag");
    });
  });

  await test("search: by environment", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const overview = await overviewOf(base);
      const dev = overview.environments.find((e) => e.name === "Dev");
      assert(dev, "the demo has a Dev environment");
      await searchFor(page, "Dev", dev.checks.map((c) => c.id), "search by environment name");
      const headings = (await page.locator("section.env h2").allInnerTexts()).map((s) => s.trim());
      assertEqual(headings.join(","), "Dev", "environment sections shown when searching for Dev");
      // Environment plus name: one check.
      const one = dev.checks.find((c) => c.name === "Identity Server");
      await searchFor(page, "dev identity", [one.id], "search by environment and name");
    });
  });

  await test("search: by URL fragment", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const checks = allChecks(await overviewOf(base));
      const sample = checks.find((c) => c.environment === "test" && c.target);
      const host = new URL(sample.target).host; // e.g. 127.0.0.2:38767, one fake server per environment
      const expected = checks.filter((c) => c.target?.includes(host)).map((c) => c.id);
      await searchFor(page, host, expected, `search by URL host ${host}`);
      const path = "svc/identity/";
      await searchFor(
        page,
        path,
        checks.filter((c) => c.target?.includes(path)).map((c) => c.id),
        `search by URL path ${path}`,
      );
    });
  });

  await test("filter: only problems", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const checks = allChecks(await overviewOf(base));
      const toggle = page.getByLabel("Only problems");
      await toggle.check();
      await eventually(async () => (await shownIds(page)).length < checks.length, {
        timeout: 5000,
        message: "fewer rows with Only problems",
      });
      // One consistent snapshot of the page (rows and the count read in the same task: a
      // flapping demo service may come and go between two separate reads).
      const snapshot = await page.evaluate(() => ({
        rows: [...document.querySelectorAll("li.check-row")].map((li) => ({
          id: li.querySelector("a[data-check-id]")?.dataset.checkId,
          status: li.querySelector(".row-status .status-text")?.textContent?.trim(),
          pending: li.querySelector(".row-pending") !== null,
        })),
        count: document.querySelector("p.result-count")?.textContent?.trim() ?? "",
        text: document.querySelector("main")?.innerText ?? "",
      }));
      const rows = snapshot.rows;
      const healthy = rows.filter((r) => r.status === "Up" && !r.pending);
      assert(healthy.length === 0, `healthy checks shown with Only problems: ${healthy.map((r) => r.id).join(", ")}`);
      const ids = rows.map((r) => r.id);
      assert(ids.includes("reporting-api-test"), "the down Reporting API (Test) is not listed as a problem");
      assert(ids.includes("epicor-sync-live"), "the degraded Epicor Sync API (Live) is not listed as a problem");
      assert(!snapshot.text.includes("Identity Server"), "healthy Identity Server is shown with Only problems");
      assert(
        new RegExp(`^Showing ${rows.length} of ${checks.length} checks$`).test(snapshot.count),
        `result count "${snapshot.count}" with ${rows.length} rows shown`,
      );

      await toggle.uncheck();
      await eventually(async () => (await shownIds(page)).length === checks.length, {
        timeout: 5000,
        message: "every check back after unticking Only problems",
      });
    });
  });
}

/** Top edges of the rows of the first environment section. */
function firstEnvRowTops(page) {
  return page
    .locator("section.env")
    .first()
    .locator("li.check-row")
    .evaluateAll((lis) => lis.map((li) => Math.round(li.getBoundingClientRect().top)));
}
