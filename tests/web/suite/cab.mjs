// The CAB page against the shared demo, whose fake Bitbucket holds four CABs at every stage of
// the release workflow: GHA Field Service (approved), GHA Orders (rejected), GHA Invoicing
// (promoted) and GHA Quotes (only in the repository). Dana Demo, the console's Bitbucket user,
// may approve and publish. GHA Quotes goes the whole way here: installed in Dev, approved,
// promoted to the demo's destination folder; then a new version of it is uploaded while another
// commit lands first (refused, then committed after a refresh). The audit log's chain is
// verified and exported. Beside the recorded installs, the board shows what the demo's Epicor
// environments list: GHA Orders is installed in Epicor Live and Dev without a record (flagged),
// GHA Field Service is build 3 in Epicor Test and Dev as recorded. Other suites do not touch
// the CABs.

import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  assert,
  assertEqual,
  assertFitsPhone,
  DESKTOP,
  eventually,
  getJson,
  PHONE,
  request,
  SHOTS,
  test,
  withPage,
} from "../lib/harness.mjs";

const QUOTES = "GHA Quotes.cab";

/** The pipeline's rows as {cab, stage, text, cells: {live, test, dev, cust-98411, promoted}, old: [env…]}. */
async function boardRows(page) {
  return page.locator("table.cab-table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const cells = {};
      const old = [];
      for (const td of tr.querySelectorAll("td[data-env]")) {
        cells[td.dataset.env] = td.querySelector(".cab-placed-version")?.textContent?.trim() ?? "";
        if (td.querySelector(".cab-placed-old")) old.push(td.dataset.env);
      }
      return {
        cab: tr.dataset.cab,
        stage: tr.dataset.stage,
        text: tr.querySelector("th")?.textContent ?? "",
        cells,
        old,
      };
    }),
  );
}

/**
 * Has every Epicor environment inspected now and waits until the board compares what they list
 * with the records (GHA Orders in Epicor Live without a record); returns the board.
 */
async function epicorChecked(base) {
  const refreshed = await request("POST", `${base}/api/epicor/refresh`, { timeout: 60_000 });
  assertEqual(refreshed.status, 200, `refreshing the Epicor environments (${refreshed.text.slice(0, 200)})`);
  return eventually(
    async () => {
      const board = await getJson(`${base}/api/cab`);
      const orders = board.cabs.find((c) => c.name === "GHA Orders.cab");
      return orders?.epicor.some((s) => s.environment === "live" && s.difference) && board;
    },
    { timeout: 30_000, interval: 500, message: "the board to compare GHA Orders with Epicor Live" },
  );
}

/** A sighting's line in a cell of the board: the Epicor environment `epicor` in `env`'s column. */
const epicorLine = (page, cab, env, epicor) =>
  page.locator(`tr[data-cab="${cab}"] td[data-env="${env}"] li[data-epicor="${epicor}"]`);

/** Text as a screen reader gets it, spaces folded. */
const folded = async (locator) => (await locator.textContent()).replace(/\s+/g, " ").trim();

/** Waits for the pipeline of the CAB page (read from the fake Bitbucket). */
async function waitForBoard(page) {
  await page.getByRole("heading", { level: 1, name: "CABs" }).waitFor({ timeout: 10_000 });
  await page.getByRole("table", { name: "Pipeline" }).waitFor({ timeout: 20_000 });
}

/** The page's status region: what the last action did. */
const statusText = (page) => page.locator("main .settings-status").innerText();

async function waitForStatus(page, text, timeout = 15_000) {
  return eventually(async () => (await statusText(page)).includes(text) && (await statusText(page)), {
    timeout,
    message: `the page to say "${text}"`,
  });
}

/** A version's item on a CAB's page. */
const versionItem = (page, n) =>
  page.getByRole("list", { name: /^Versions of / }).getByRole("listitem", { name: `Version ${n}`, exact: true });

/** Bytes that look like a cabinet file. */
const cabBytes = (size = 6000) => Buffer.concat([Buffer.from("MSCF\0\0\0\0"), randomBytes(size)]);

export async function cabTests({ browser, base }) {
  let promoted = false;
  let uploaded = false;
  // Epicor is inspected once, by the first test that shows what it lists (screenshots included).
  let epicorBoard = null;
  const epicorReady = () => (epicorBoard ??= epicorChecked(base));

  await test("cab: the demo's pipeline: four CABs at their stages, the environment matrix, who you are", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CABs" }).click();
      await page.waitForFunction(() => location.hash === "#/cabs", null, { timeout: 5000 });
      await waitForBoard(page);

      const rows = await boardRows(page);
      const byName = Object.fromEntries(rows.map((r) => [r.cab, r]));
      assertEqual(
        JSON.stringify(rows.map((r) => [r.cab, r.stage])),
        JSON.stringify([
          ["GHA Field Service.cab", "approved"],
          ["GHA Invoicing.cab", "promoted"],
          ["GHA Orders.cab", "rejected"],
          [QUOTES, "in-repo"],
        ]),
        "the CABs and their stages",
      );
      const headers = await page.getByRole("table", { name: "Pipeline" }).locator("thead th").allInnerTexts();
      assertEqual(headers.join("|"), "CAB|Stage|Live|Test|Dev|Customer 98411|Promoted", "the pipeline's columns");
      const cells = (name) => JSON.stringify(byName[name].cells);
      assertEqual(cells("GHA Field Service.cab"), JSON.stringify({ live: "", test: "v3", dev: "v3", "cust-98411": "", promoted: "" }), "Field Service's matrix");
      assertEqual(cells("GHA Invoicing.cab"), JSON.stringify({ live: "v1", test: "v1", dev: "", "cust-98411": "", promoted: "v1" }), "Invoicing's matrix");
      assertEqual(cells("GHA Orders.cab"), JSON.stringify({ live: "", test: "v2", dev: "", "cust-98411": "", promoted: "" }), "Orders' matrix");
      assertEqual(cells(QUOTES), JSON.stringify({ live: "", test: "", dev: "", "cust-98411": "", promoted: "" }), "Quotes' matrix");
      assert(byName["GHA Orders.cab"].text.includes("Rejected by Bo Sørensen"), `Orders does not say who rejected it: ${byName["GHA Orders.cab"].text}`);
      assert(byName[QUOTES].text.includes("Waiting for 0 of 1 approvals"), `Quotes does not say what it waits for: ${byName[QUOTES].text}`);
      assert(byName["GHA Field Service.cab"].text.includes("v3 of 3 · Ben Developer"), `Field Service's newest version: ${byName["GHA Field Service.cab"].text}`);

      // The step the CAB is at, for the eye and for a screen reader.
      const orders = page.locator('tr[data-cab="GHA Orders.cab"]');
      await orders.getByRole("list", { name: "Stage: Rejected" }).waitFor({ timeout: 2000 });
      assertEqual(
        (await orders.locator('[aria-current="step"]').textContent()).trim(),
        "Rejected, current stage",
        "the current step of Orders",
      );

      const main = await page.locator("main").innerText();
      for (const text of ["gha/epicor-cabs on bitbucket-cloud", "Dana Demo (dana@example.com)", "Approver", "Publisher", "1 required", "GHA Mods - New CABs"]) {
        assert(main.includes(text), `the page does not say "${text}"`);
      }

      // Search by name.
      await page.getByRole("searchbox", { name: "Find a CAB" }).fill("invo");
      await eventually(async () => (await boardRows(page)).length === 1, { timeout: 3000, message: "one CAB found for “invo”" });
      assertEqual((await boardRows(page))[0].cab, "GHA Invoicing.cab", "the CAB found for “invo”");
      await page.getByRole("searchbox", { name: "Find a CAB" }).fill("");
    });
  });

  await test("cab: beside the recorded installs, what Epicor lists: GHA Orders flagged in Live with the difference, GHA Field Service at build 3 in Test", async () => {
    const board = await epicorReady();
    const sentence = board.cabs
      .find((c) => c.name === "GHA Orders.cab")
      .epicor.find((s) => s.environment === "live").difference;
    assert(
      /^Epicor Live has GHA_Orders installed \(build 1\b.*\), but no install in Live is recorded$/.test(sentence),
      `the demo's difference for GHA Orders in Live: ${sentence}`,
    );

    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/cabs`);
      await waitForBoard(page);

      // GHA Orders: nothing recorded in Live, yet Epicor Live lists it: ⚠ and words, the
      // sentence as the tooltip and for screen readers.
      const ordersLive = page.locator('tr[data-cab="GHA Orders.cab"] td[data-env="live"]');
      const line = epicorLine(page, "GHA Orders.cab", "live", "erp-live");
      await line.waitFor({ timeout: 10_000 });
      assertEqual(await ordersLive.getAttribute("data-differs"), "true", "GHA Orders' Live cell flagged");
      assertEqual((await line.locator(".cab-epicor-state").innerText()).trim(), "build 1", "what Epicor Live lists of GHA Orders");
      const mark = line.locator(".cab-differs");
      assert(await mark.isVisible(), "GHA Orders' Live line shows no ⚠ mark");
      assert((await mark.innerText()).trim().startsWith("⚠ differs"), `GHA Orders' Live mark: ${await mark.innerText()}`);
      assertEqual(await line.getAttribute("title"), `${sentence}.`, "the tooltip of GHA Orders' Live line");
      assertEqual(await folded(line), `Epicor Live: build 1 ⚠ differs: ${sentence}.`, "GHA Orders' Live line for a screen reader");
      const ordersDev = epicorLine(page, "GHA Orders.cab", "dev", "erp-dev");
      assertEqual(await ordersDev.getAttribute("data-differs"), "true", "GHA Orders' Dev line flagged");
      // In Test, the record and Epicor agree.
      assertEqual(await folded(epicorLine(page, "GHA Orders.cab", "test", "erp-test")), "Epicor Test: build 2", "GHA Orders in Epicor Test");

      // GHA Field Service: v3 recorded in Test and Dev, build 3 in both Epicors, nothing flagged.
      for (const env of ["test", "dev"]) {
        const fs = epicorLine(page, "GHA Field Service.cab", env, `erp-${env}`);
        assertEqual(await folded(fs), `Epicor ${env === "test" ? "Test" : "Dev"}: build 3`, `GHA Field Service in Epicor ${env}`);
        assertEqual(await fs.getAttribute("data-differs"), null, `GHA Field Service flagged in ${env}`);
      }
      assertEqual((await boardRows(page)).find((r) => r.cab === "GHA Field Service.cab").cells.test, "v3", "Field Service's record in Test");
      // Epicor 10.2 cannot list its solutions: its column claims nothing.
      assertEqual(await page.locator('td[data-env="cust-98411"] .cab-epicor').count(), 0, "Epicor lines in the Customer 98411 column");

      // The count, and only the CABs that differ on request.
      const count = await page.locator(".cab-toolbar .result-count").innerText();
      assert(/⚠ \d+ differences? with Epicor/.test(count), `no count of the differences: ${count}`);
      await page.getByLabel("Only differences with Epicor").check();
      await eventually(
        async () => {
          const rows = await page.locator("table.cab-table tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.dataset.cab, tr.dataset.differences]));
          return rows.length > 0 && rows.every(([, n]) => Number(n) > 0) && rows.some(([cab]) => cab === "GHA Orders.cab") && rows;
        },
        { timeout: 3000, message: "only the CABs that differ from Epicor, GHA Orders among them" },
      );
      assertEqual(await page.locator('tr[data-cab="GHA Field Service.cab"]').count(), 0, "GHA Field Service shown with only the differences");
      await page.getByLabel("Only differences with Epicor").uncheck();
      await page.locator('tr[data-cab="GHA Field Service.cab"]').waitFor({ timeout: 3000 });

      // The Epicor environment's name leads to the Environments page.
      await line.getByRole("link", { name: "Epicor Live" }).click();
      await page.waitForFunction(() => location.hash === "#/environments", null, { timeout: 5000 });
      await page.getByRole("heading", { level: 1, name: "Environments" }).waitFor({ timeout: 10_000 });
    });
  });

  await test("cab: GHA Orders' page writes out where the record and Epicor differ", async () => {
    await epicorReady();
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/cab/${encodeURIComponent("GHA Orders.cab")}`);
      const where = page.getByRole("region", { name: "Where it is" });
      await where.locator('[data-env="live"] .cab-difference').waitFor({ timeout: 20_000 });
      const live = where.locator('[data-env="live"]');
      assertEqual(await live.getAttribute("data-differs"), "true", "Live flagged on GHA Orders' page");
      const note = live.locator(".cab-difference");
      assert(await note.isVisible(), "the note in Live is not shown");
      const said = await folded(note);
      assert(
        /^⚠ Differs: Epicor Live has GHA_Orders installed \(build 1\b.*\), but no install in Live is recorded\.$/.test(said),
        `the note in Live: ${said}`,
      );
      const summary = await where.locator(".cab-where-summary").innerText();
      assert(/The record and Epicor differ in \d+ places?\./.test(summary), `the summary: ${summary}`);
      assert((await where.locator('[data-env="test"]').innerText()).includes("GHA_Orders build 2"), "GHA Orders in Epicor Test");
      assertEqual(await where.locator('[data-env="test"] .cab-difference').count(), 0, "a difference noted in Test");
      assertEqual(
        await live.getByRole("link", { name: "Epicor Live" }).getAttribute("href"),
        "#/environments",
        "the link of Epicor Live",
      );
    });
  });

  await test("cab: GHA Quotes installed in Dev, approved, promoted to the destination, downloaded", async () => {
    // For the screenshot; the test itself does not depend on it.
    await epicorReady().catch(() => null);
    await withPage(browser, DESKTOP, async (page) => {
      const board = await getJson(`${base}/api/cab`);
      const destination = board.destination;
      assert(destination, "the demo's board has no destination");

      await page.goto(`${base}/#/cabs`);
      await waitForBoard(page);
      await page.getByRole("table", { name: "Pipeline" }).getByRole("link", { name: QUOTES, exact: true }).click();
      await page.waitForFunction(() => location.hash === "#/cab/GHA%20Quotes.cab", null, { timeout: 5000 });
      await page.getByRole("heading", { level: 1, name: QUOTES }).waitFor({ timeout: 5000 });
      const v1 = versionItem(page, 1);
      await v1.waitFor({ timeout: 20_000 });
      const sha = (await v1.locator("dd code.cab-hash").innerText()).trim();
      assert(/^[0-9a-f]{64}$/.test(sha), `no SHA-256 on version 1: "${sha}"`);

      // Not approved yet: Promote says what it waits for.
      const promote = v1.getByRole("button", { name: "Promote version 1", exact: true });
      assertEqual(await promote.getAttribute("aria-disabled"), "true", "Promote before any approval");

      // Record the install in Dev.
      await v1.getByRole("button", { name: "Record install version 1", exact: true }).click();
      const install = page.getByRole("dialog", { name: "Record install" });
      await install.waitFor({ timeout: 3000 });
      await install.getByLabel("Environment").selectOption({ label: "Dev" });
      await install.getByRole("button", { name: "Record install", exact: true }).click();
      await install.waitFor({ state: "detached", timeout: 15_000 });
      await waitForStatus(page, "Recorded version 1 of GHA Quotes.cab as installed in Dev.");
      // Recorded by the token, through Dana's Bitbucket account.
      await eventually(async () => /Dev by .*Dana Demo/.test(await v1.innerText()), {
        timeout: 15_000,
        message: "version 1 to list its install in Dev",
      });
      await page.getByRole("list", { name: "Stage: Installed" }).waitFor({ timeout: 15_000 });

      // Approve it.
      await v1.getByRole("button", { name: "Approve version 1", exact: true }).click();
      const approve = page.getByRole("dialog", { name: "Approve version" });
      await approve.waitFor({ timeout: 3000 });
      assert((await approve.innerText()).includes(sha), "the approval dialog does not show the SHA-256 approved");
      await approve.getByRole("button", { name: "Approve", exact: true }).click();
      await approve.waitFor({ state: "detached", timeout: 15_000 });
      await waitForStatus(page, "Approved version 1 of GHA Quotes.cab. It can be promoted now.");
      await page.getByRole("list", { name: "Stage: Approved" }).waitFor({ timeout: 15_000 });

      // Promote it: the dialog names the destination and the bytes.
      await eventually(async () => (await promote.getAttribute("aria-disabled")) === null, {
        timeout: 15_000,
        message: "Promote to be offered once approved",
      });
      await promote.click();
      const dialog = page.getByRole("dialog", { name: "Promote version" });
      await dialog.waitFor({ timeout: 3000 });
      const text = await dialog.innerText();
      assert(text.includes(destination), `the promotion dialog does not name the destination ${destination}`);
      assert(text.includes(sha), "the promotion dialog does not show the SHA-256");
      assert(text.includes("Dana Demo"), `the promotion dialog does not name the approver: ${text}`);
      await dialog.getByRole("button", { name: "Promote", exact: true }).click();
      await dialog.waitFor({ state: "detached", timeout: 20_000 });
      await waitForStatus(page, "Promoted version 1 of GHA Quotes.cab to ");
      assert((await statusText(page)).includes("tagged cab/GHA-Quotes/1"), `no tag in "${await statusText(page)}"`);
      await page.getByRole("list", { name: "Stage: Promoted" }).waitFor({ timeout: 15_000 });
      promoted = true;

      // At the destination: the very bytes, with the manifest beside them.
      const file = join(destination, QUOTES);
      assert(existsSync(file), `${file} is not there`);
      assertEqual(createHash("sha256").update(readFileSync(file)).digest("hex"), sha, "the SHA-256 of the promoted file");
      const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, "utf8"));
      assertEqual(manifest.sha256, sha, "the manifest's SHA-256");
      assertEqual(manifest.version, 1, "the manifest's version");

      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, "cab-detail-desktop.png"), fullPage: true });

      // Download gives the same bytes, named like the CAB.
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout: 15_000 }),
        v1.getByRole("button", { name: "Download version 1", exact: true }).click(),
      ]);
      assertEqual(download.suggestedFilename(), QUOTES, "the downloaded file's name");
      const path = await download.path();
      assertEqual(createHash("sha256").update(readFileSync(path)).digest("hex"), sha, "the SHA-256 of the download");

      // Back on the list: promoted, v1 in Dev, and the keyboard where it was.
      await page.getByRole("link", { name: "← All CABs" }).click();
      await waitForBoard(page);
      await eventually(
        async () => {
          const quotes = (await boardRows(page)).find((r) => r.cab === QUOTES);
          return quotes?.stage === "promoted" && quotes.cells.dev === "v1" && quotes.cells.promoted === "v1" && quotes;
        },
        { timeout: 15_000, message: "GHA Quotes promoted, with v1 in Dev, on the pipeline" },
      );
      assertEqual(await page.evaluate(() => document.activeElement?.textContent), QUOTES, "the focus back on the list");
    });
  });

  await test("cab: upload a new version of GHA Quotes: refused when someone committed first, committed after Refresh", async () => {
    // For the screenshot; the test itself does not depend on it.
    await epicorReady().catch(() => null);
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/cabs`);
      await waitForBoard(page);
      const before = await boardRows(page);
      const quotesVersions = /v(\d+)/.exec(before.find((r) => r.cab === QUOTES)?.text ?? "")?.[1];
      const next = Number(quotesVersions ?? "1") + 1;

      await page.getByRole("button", { name: "Upload CAB" }).click();
      const dialog = page.getByRole("dialog", { name: "Upload a CAB" });
      await dialog.waitFor({ timeout: 3000 });
      await dialog.getByLabel("CAB file").setInputFiles({
        name: QUOTES,
        mimeType: "application/vnd.ms-cab-compressed",
        buffer: cabBytes(),
      });
      await dialog.getByText(`version ${next} of ${QUOTES}`).waitFor({ timeout: 5000 });
      const message = `Quotes: margin warning at 5 % (web test ${process.pid})`;
      await dialog.getByLabel("What changed").fill(message);
      await dialog.getByRole("button", { name: "Continue" }).click();
      const review = dialog.getByRole("group", { name: `Commit version ${next} of ${QUOTES}?` });
      await review.waitFor({ timeout: 3000 });
      const summary = await review.innerText();
      assert(summary.includes(`cabs/${QUOTES} on main`), `the summary does not say where: ${summary}`);
      assert(summary.includes(message), "the summary does not show the commit message");

      // Someone else commits first.
      const other = await request("POST", `${base}/api/rpc`, {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          method: "cab_upload",
          params: {
            file_name: "GHA Shipping.cab",
            content: cabBytes(3000).toString("base64"),
            message: "Shipping: pack slip layout",
            expected_head: null,
          },
        }),
        timeout: 30_000,
      });
      assertEqual(other.status, 200, `the other commit (${other.text.slice(0, 200)})`);

      await review.getByRole("button", { name: "Commit", exact: true }).click();
      const problem = dialog.getByRole("alert");
      await problem.waitFor({ timeout: 15_000 });
      const said = await problem.innerText();
      assert(said.includes("Someone committed to main since the board was read"), `the conflict is not explained: ${said}`);
      assertEqual(
        await review.getByRole("button", { name: "Commit", exact: true }).getAttribute("aria-disabled"),
        "true",
        "Commit while the board is out of date",
      );

      await problem.getByRole("button", { name: "Refresh" }).click();
      await dialog.getByText("The board is up to date: check the summary, then commit again.").waitFor({ timeout: 20_000 });
      await review.getByRole("button", { name: "Commit", exact: true }).click();
      await dialog.waitFor({ state: "detached", timeout: 20_000 });
      await waitForStatus(page, `Committed ${QUOTES} as version ${next}`);
      uploaded = true;

      await eventually(
        async () => {
          const rows = await boardRows(page);
          const quotes = rows.find((r) => r.cab === QUOTES);
          return rows.some((r) => r.cab === "GHA Shipping.cab") && quotes?.stage === "in-repo" && quotes.text.includes(`v${next} of ${next}`) && rows;
        },
        { timeout: 20_000, message: `GHA Shipping listed, and GHA Quotes at version ${next} back in the repository` },
      );
      if (promoted) {
        // The install and promotion of version 1 are now of an older version: marked so.
        const quotes = (await boardRows(page)).find((r) => r.cab === QUOTES);
        assertEqual(JSON.stringify(quotes.old.sort()), JSON.stringify(["dev", "promoted"]), "the cells marked as not the newest");
      }
      await page.mouse.move(0, 0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(SHOTS, "cab-desktop.png"), fullPage: true });

      // Its uploader cannot approve it.
      await page.getByRole("table", { name: "Pipeline" }).getByRole("link", { name: QUOTES, exact: true }).click();
      const newest = versionItem(page, next);
      await newest.waitFor({ timeout: 20_000 });
      const approve = newest.getByRole("button", { name: `Approve version ${next}`, exact: true });
      assertEqual(await approve.getAttribute("aria-disabled"), "true", "Approve on one's own upload");
      const reasonId = await approve.getAttribute("aria-describedby");
      assertEqual(
        (await page.locator(`[id="${reasonId}"]`).innerText()).trim(),
        "You wrote this version: someone else must approve it.",
        "why Approve is disabled",
      );
      assert((await newest.innerText()).includes("uploaded through opsdeck by"), "the version does not say who uploaded it");
    });
  });

  await test("cab: the audit log lists what was done, its chain verifies, and it exports as CSV", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/cabs`);
      await page.getByRole("heading", { level: 1, name: "CABs" }).waitFor({ timeout: 10_000 });
      await page.getByRole("navigation", { name: "CAB views" }).getByRole("link", { name: "Audit log" }).click();
      await page.waitForFunction(() => location.hash === "#/cabs/audit", null, { timeout: 5000 });
      const table = page.getByRole("table", { name: "Audit log" });
      await table.waitFor({ timeout: 10_000 });
      const actions = await table.locator("tbody th").allInnerTexts();
      const expected = [];
      if (uploaded) expected.push("Upload OK");
      if (promoted) expected.push("Promote OK", "Promote Started", "Approve OK", "Install OK");
      for (const a of expected) assert(actions.some((x) => x.trim() === a), `no "${a}" in the audit log: ${actions.join(", ")}`);

      await page.getByRole("button", { name: "Verify chain" }).click();
      await page.getByText("The chain is intact.").waitFor({ timeout: 10_000 });
      assertEqual(await page.locator(".cab-verdict [role=alert]").count(), 0, "problems reported for a sound chain");

      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout: 15_000 }),
        page.getByRole("button", { name: "Export CSV" }).click(),
      ]);
      assertEqual(download.suggestedFilename(), "cab-audit.csv", "the export's file name");
      const csv = readFileSync(await download.path(), "utf8");
      const lines = csv.trim().split(/\r?\n/);
      assert(lines.length >= actions.length + 1, `the CSV has ${lines.length} lines for ${actions.length} entries`);
      if (promoted) assert(csv.includes("promote"), "the CSV has no promotion");
      await waitForStatus(page, "Exported the audit log as cab-audit.csv.");
    });
  });

  await test("cab: the pipeline and a CAB's page fit a phone", async () => {
    await epicorReady();
    await withPage(browser, PHONE, async (page) => {
      await page.goto(`${base}/#/cabs`);
      await waitForBoard(page);
      // Each CAB's block has the Epicor lines too, GHA Orders flagged in Live.
      const line = epicorLine(page, "GHA Orders.cab", "live", "erp-live");
      await line.waitFor({ timeout: 10_000 });
      assert(await line.isVisible(), "GHA Orders' Epicor Live line is not shown on a phone");
      assert((await line.innerText()).includes("⚠ differs"), `GHA Orders' Epicor Live line on a phone: ${await line.innerText()}`);
      await assertFitsPhone(page, "the CAB page");
      await page.screenshot({ path: join(SHOTS, "cab-phone.png"), fullPage: true });

      await page.goto(`${base}/#/cab/${encodeURIComponent(QUOTES)}`);
      await versionItem(page, 1).waitFor({ timeout: 20_000 });
      await assertFitsPhone(page, "a CAB's page");
    });
  });
}
