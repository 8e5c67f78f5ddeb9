// The Environments page against the shared demo, whose fake Epicor serves four environments:
// Epicor Live (up, patch 11.2.400.12), Epicor Test (up, patch 11.2.400.14, with GHA_FieldService
// that Live lacks), Epicor Dev (degraded: its report server is not alive) and a customer's
// Epicor 10.2 on REST v1, which has neither the health nor the solutions endpoints. Installed
// solutions link to the CABs of the demo's release workflow. Each is a check of type `epicor`
// too, whose page sums the inspection up. Other suites do not touch them.

import { join } from "node:path";
import {
  assert,
  assertEqual,
  assertFitsPhone,
  DESKTOP,
  eventually,
  getJson,
  PHONE,
  SHOTS,
  test,
  withPage,
} from "../lib/harness.mjs";

const EXPECTED = [
  ["erp-live", "up"],
  ["erp-test", "up"],
  ["erp-dev", "degraded"],
  ["erp-98411", "up"],
];

/** The cards as [id, status], in page order. */
async function cards(page) {
  return page.locator("article.env-card").evaluateAll((articles) => articles.map((a) => [a.dataset.epicorId, a.dataset.status]));
}

/** Waits for the four cards of the demo, each with the status its fake gives it. */
async function waitForCards(page) {
  await page.getByRole("heading", { level: 1, name: "Environments" }).waitFor({ timeout: 10_000 });
  return eventually(
    async () => {
      const shown = await cards(page);
      return JSON.stringify(shown) === JSON.stringify(EXPECTED) && shown;
    },
    { timeout: 60_000, interval: 500, message: `the cards ${JSON.stringify(EXPECTED)}` },
  );
}

const card = (page, id) => page.locator(`article.env-card[data-epicor-id="${id}"]`);

/** A comparison row's cells as {text, drift}, by the row's selector. */
async function rowCells(page, selector) {
  return page.locator(`table.env-compare ${selector} td`).evaluateAll((tds) =>
    tds.map((td) => ({ column: td.dataset.column, text: td.textContent.trim(), drift: td.dataset.drift === "true" })),
  );
}

export async function epicorTests({ browser, base }) {
  await test("epicor: four environments with their status; the Epicor 10.2 card says what its version does not offer", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Environments" }).click();
      await page.waitForFunction(() => location.hash === "#/environments", null, { timeout: 5000 });
      await waitForCards(page);

      const live = await card(page, "erp-live").innerText();
      for (const text of ["Epicor Live", "11.2.400.12", "GHA Ltd", "2 solutions"]) {
        assert(live.includes(text), `the Live card does not say "${text}": ${live}`);
      }
      // The SQL Server under Live, with its database and backups.
      const sql = await card(page, "erp-live").getByRole("region", { name: "SQL Server" }).innerText();
      for (const pattern of [/SQL Server \d{4}/, /Compatibility level/, /Last backups\s+Full \d+ (s|min|h|d) ago/]) {
        assert(pattern.test(sql), `Live's SQL Server block does not match ${pattern}: ${sql}`);
      }
      assert((await card(page, "erp-test").innerText()).includes("11.2.400.14"), "the Test card's patch level");
      const dev = card(page, "erp-dev");
      await dev.locator('[data-health="report server"]', { hasText: "failed" }).waitFor({ timeout: 2000 });

      // Epicor 10.2: no health or solutions endpoints, said plainly and not as a failure.
      const old = card(page, "erp-98411");
      assertEqual(await old.getByText("not available on this version").count(), 2, "notes on the Epicor 10.2 card");
      assertEqual(await old.locator(".env-failed").count(), 0, "failures shown on the Epicor 10.2 card");
      assert((await old.innerText()).includes("REST v1"), "the Epicor 10.2 card does not say REST v1");
      await old.getByRole("region", { name: "SQL Server" }).getByText("SQL Server not configured").waitFor({ timeout: 2000 });

      // Each card leads to its check's history and alerts.
      assertEqual(
        await card(page, "erp-dev").getByRole("link", { name: "History and alerts of Epicor Dev" }).getAttribute("href"),
        "#/check/erp-dev",
        "the Dev card's check link",
      );

      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, "environments-desktop.png"), fullPage: true });
    });
  });

  await test("epicor: side by side, the patch level drift and GHA_FieldService missing in Live; GHA Orders links to its CAB", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/environments`);
      await waitForCards(page);
      await page.getByRole("navigation", { name: "Environment views" }).getByRole("link", { name: "Side by side" }).click();
      await page.waitForFunction(() => location.hash === "#/environments/compare", null, { timeout: 5000 });
      await page.getByRole("table", { name: "Side by side" }).waitFor({ timeout: 5000 });

      const heads = await page.locator("table.env-compare thead th .env-compare-name").allInnerTexts();
      assertEqual(heads.join("|"), "Epicor Live|Epicor Test|Epicor Dev|Customer 98411 (Epicor 10.2)", "the columns");

      const patch = page.locator('table.env-compare tr[data-fact="Patch level"]');
      assertEqual(await patch.getAttribute("data-drift"), "true", "the patch level's drift");
      assert((await patch.locator("th").innerText()).includes("differs"), "the patch level row does not say it differs");
      const patchCells = await rowCells(page, 'tr[data-fact="Patch level"]');
      const liveCell = patchCells.find((c) => c.column === "erp-live");
      assert(liveCell?.drift && liveCell.text.includes("11.2.400.12"), `Live's patch level not marked: ${JSON.stringify(patchCells)}`);
      assertEqual(patchCells.find((c) => c.column === "erp-test")?.drift, false, "Test's patch level marked");

      const fieldService = await rowCells(page, 'tr[data-solution="GHA_FieldService"]');
      const byColumn = Object.fromEntries(fieldService.map((c) => [c.column, c]));
      assert(byColumn["erp-live"]?.drift && byColumn["erp-live"].text.endsWith("missing"), `GHA_FieldService in Live: ${JSON.stringify(fieldService)}`);
      assert(byColumn["erp-test"]?.text.includes("build 3"), `GHA_FieldService in Test: ${JSON.stringify(fieldService)}`);
      assertEqual(byColumn["erp-98411"]?.text, "not available on this version", "GHA_FieldService on Epicor 10.2");

      // Solutions link to the CABs they were installed from (the catalogue is read from the demo's Bitbucket).
      const orders = page.locator('table.env-compare tr[data-solution="GHA_Orders"] th a');
      await orders.waitFor({ timeout: 15_000 }).catch(async () => {
        const note = await page.locator(".env-note").allInnerTexts();
        assert(false, `GHA_Orders is not linked to its CAB${note.length ? `: ${note.join(" ")}` : ""}`);
      });
      assertEqual(await orders.getAttribute("href"), "#/cab/GHA%20Orders.cab", "GHA_Orders' link");

      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, "environments-compare.png"), fullPage: true });

      // Only the differences: GHA_Invoicing is the same build everywhere it is known.
      const solutionRows = () => page.locator("table.env-compare tr[data-solution]").evaluateAll((trs) => trs.map((tr) => tr.dataset.solution));
      assert((await solutionRows()).includes("GHA_Invoicing"), "GHA_Invoicing is not listed");
      await page.getByLabel("Only differences").check();
      await eventually(async () => !(await solutionRows()).includes("GHA_Invoicing"), {
        timeout: 3000,
        message: "GHA_Invoicing hidden with only the differences",
      });
      assert((await solutionRows()).includes("GHA_FieldService"), "GHA_FieldService hidden with only the differences");
      await page.getByLabel("Only differences").uncheck();

      await orders.click();
      await page.waitForFunction(() => location.hash === "#/cab/GHA%20Orders.cab", null, { timeout: 5000 });
      await page.getByRole("heading", { level: 1, name: "GHA Orders.cab" }).waitFor({ timeout: 10_000 });
    });
  });

  await test("epicor: the check page of Epicor Live sums up the inspection and leads to the Environments page", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/environments`);
      await waitForCards(page);
      await card(page, "erp-live").getByRole("link", { name: "History and alerts of Epicor Live" }).click();
      await page.waitForFunction(() => location.hash === "#/check/erp-live", null, { timeout: 5000 });
      await page.getByRole("heading", { level: 1, name: "Epicor Live" }).waitFor({ timeout: 10_000 });

      const block = page.getByRole("region", { name: "Epicor environment" });
      await block.waitFor({ timeout: 10_000 });
      const fact = async (label) => (await block.locator("dt", { hasText: label }).locator("xpath=following-sibling::dd[1]").innerText()).trim();
      const release = await fact("Release");
      assert(/^11\.2\.400 · patch 11\.2\.400\.12$/.test(release), `the release: ${release}`);
      assert(/\bApp server\b/.test(await fact("Health")), `the health: ${await fact("Health")}`);
      assert(/^\d+ compan(y|ies)$/.test(await fact("Companies")), `the companies: ${await fact("Companies")}`);
      assert(/^\d+ solutions?$/.test(await fact("Solutions")), `the solutions: ${await fact("Solutions")}`);
      const sql = await fact("SQL Server");
      assert(/^SQL Server \d{4}.*\n?Last full backup \d+ (s|min|h|d) ago$/.test(sql), `the SQL Server: ${sql}`);
      // Its warnings are said in the block, once.
      const warnings = await block.getByRole("list", { name: "Warnings" }).locator("li").allInnerTexts();
      assert(warnings.length > 0, "the block lists no warnings for Epicor Live");
      assertEqual(await page.getByRole("region", { name: "Warnings" }).count(), 0, "the warnings said again in the page's banner");

      const link = block.getByRole("link", { name: "Open on the Environments page" });
      assertEqual(await link.getAttribute("href"), "#/environments", "the block's link");
      await link.click();
      await page.waitForFunction(() => location.hash === "#/environments", null, { timeout: 5000 });
      await waitForCards(page);
    });
  });

  await test("epicor: Refresh inspects an environment now and shows the answer", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/environments`);
      await waitForCards(page);
      const testCard = card(page, "erp-test");
      const checkedAt = () => testCard.locator(".env-checked time").getAttribute("datetime");
      const before = await checkedAt();
      await testCard.getByRole("button", { name: "Refresh Epicor Test" }).click();
      await page.locator(".env-status").getByText("Inspected Epicor Test: Up.").waitFor({ timeout: 20_000 });
      const after = await checkedAt();
      assert(Date.parse(after) > Date.parse(before), `checked at ${after}, not after ${before}`);
      // The server agrees (or has checked it again since, on its schedule).
      const api = await getJson(`${base}/api/epicor`);
      const known = api.environments.find((e) => e.id === "erp-test")?.checked_at;
      assert(Date.parse(known) >= Date.parse(after), `the API says Test was checked at ${known}, the page ${after}`);

      await page.getByRole("button", { name: "Refresh all" }).click();
      await page.locator(".env-status").getByText(/^Inspected 4 environments: 1 degraded, 3 up\.$/).waitFor({ timeout: 30_000 });
    });
  });

  await test("epicor: the cards and the comparison fit a phone", async () => {
    await withPage(browser, PHONE, async (page) => {
      await page.goto(`${base}/#/environments`);
      await waitForCards(page);
      await assertFitsPhone(page, "the Environments page");
      await page.screenshot({ path: join(SHOTS, "environments-phone.png"), fullPage: true });

      await page.goto(`${base}/#/environments/compare`);
      const scroller = page.locator(".env-compare-scroll");
      await scroller.waitFor({ timeout: 10_000 });
      await assertFitsPhone(page, "the comparison");
      // The table scrolls by itself, and the row names stay in view while it does.
      const { scrollWidth, clientWidth } = await scroller.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
      assert(scrollWidth > clientWidth, `the comparison does not scroll sideways on a phone (${scrollWidth} ≤ ${clientWidth})`);
      const rowHead = page.locator('table.env-compare tr[data-fact="Patch level"] th');
      const x = (await rowHead.boundingBox()).x;
      await scroller.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
      await eventually(async () => Math.abs((await rowHead.boundingBox()).x - x) < 1, {
        timeout: 2000,
        message: "the row names to stay in place while the table scrolls",
      });
      await assertFitsPhone(page, "the scrolled comparison");
    });
  });
}
