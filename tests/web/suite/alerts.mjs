// The Alerts page and a check's Alerts section against the shared demo, whose estate has
// services that are down from the start: their alerts open a few seconds after the server
// starts. One is acknowledged with a note, another snoozed for an hour (and the snooze ended
// again, so the demo is left as found for the other tests).

import { join } from "node:path";
import {
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  getJson,
  PHONE,
  request,
  SHOTS,
  test,
  withPage,
} from "../lib/harness.mjs";

/** The open alerts on the page as {series, name, status, state}, in page order. */
async function openAlerts(page) {
  return page
    .getByRole("list", { name: "Open alerts" })
    .locator(":scope > li")
    .evaluateAll((lis) =>
      lis.map((li) => ({
        series: li.querySelector("a.alert-name")?.dataset.checkId,
        name: li.querySelector("a.alert-name")?.textContent?.trim(),
        status: li.querySelector(".status-text")?.textContent?.trim(),
        state: li.querySelector(".alert-state")?.textContent?.trim() ?? "",
      })),
    );
}

/** Waits until the page lists at least `count` open alerts; returns them. */
async function waitForOpenAlerts(page, count = 1) {
  await page.getByRole("heading", { level: 1, name: "Alerts" }).waitFor({ timeout: 10_000 });
  return eventually(
    async () => {
      if ((await page.getByRole("list", { name: "Open alerts" }).count()) === 0) return false;
      const open = await openAlerts(page);
      return open.length >= count && open;
    },
    { timeout: 60_000, interval: 1000, message: `at least ${count} open alerts on the Alerts page` },
  );
}

/** The page's status region (what the last action did). */
const statusText = (page) => page.locator("main .settings-status").innerText();

/** Ends a snooze through the API, whatever the page did, so the demo is left as found. */
async function endSnooze(base, id) {
  await request("DELETE", `${base}/api/checks/${encodeURIComponent(id)}/snooze`).catch(() => undefined);
}

export async function alertTests({ browser, base }) {
  let acknowledged = null;

  await test("alerts: open alerts of the demo, acknowledge one with a note, snooze another", async () => {
    let snoozed = null;
    try {
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${base}/`);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
        await page.waitForFunction(() => location.hash === "#/alerts", null, { timeout: 5000 });
        const open = await waitForOpenAlerts(page, 2);

        // Worst first: nothing below a row is worse than it.
        const rank = { Down: 3, Unknown: 2, Degraded: 1, Up: 0 };
        for (let i = 1; i < open.length; i++) {
          assert(rank[open[i - 1].status] >= rank[open[i].status], `not worst first: ${JSON.stringify(open)}`);
        }
        // The engine agrees on what is open.
        const api = await getJson(`${base}/api/alerts`).catch(() => null);
        if (api) {
          for (const a of open) {
            assert(api.open.some((x) => x.series === a.series), `${a.series} is listed but not open in the engine`);
          }
        }

        // Acknowledge the first one nobody has acknowledged yet (reruns against one demo).
        const target = open.find((a) => !a.state.includes("acknowledged by"));
        assert(target, `every open alert is acknowledged already: ${JSON.stringify(open)}`);
        const row = page.getByRole("list", { name: "Open alerts" }).getByRole("listitem", { name: target.name, exact: true });
        await row.getByRole("button", { name: `Acknowledge ${target.name}`, exact: true }).click();
        const dialog = page.getByRole("dialog", { name: "Acknowledge alert" });
        await dialog.waitFor({ timeout: 3000 });
        const note = `web test ${process.pid}: looking into it`;
        await dialog.getByLabel("Note (optional)").fill(note);
        await dialog.getByRole("button", { name: "Acknowledge", exact: true }).click();
        await dialog.waitFor({ state: "detached", timeout: 5000 });
        await eventually(async () => (await statusText(page)).includes(`Acknowledged ${target.name}`), {
          timeout: 5000,
          message: "the acknowledgement announced",
        });
        await eventually(
          async () => {
            const state = (await row.locator(".alert-state").innerText()).trim();
            return state.includes("acknowledged by") && state.includes(note) && state;
          },
          { timeout: 10_000, message: `the row of ${target.name} to say "acknowledged by …: ${note}"` },
        );
        acknowledged = target;

        // Snooze another one for an hour: it is listed under Snoozed.
        const other = open.find((a) => a.series !== target.series);
        const otherRow = page.getByRole("list", { name: "Open alerts" }).getByRole("listitem", { name: other.name, exact: true });
        await otherRow.getByRole("button", { name: `Snooze ${other.name} for 1 hour`, exact: true }).click();
        snoozed = other;
        const snoozes = page.getByRole("list", { name: "Snoozed" });
        const snoozeItem = snoozes.getByRole("listitem").filter({ has: page.locator(`a[href="#/check/${encodeURIComponent(other.series)}"]`) });
        await snoozeItem.waitFor({ timeout: 10_000 }).catch(() => {
          throw new Error(`${other.series} is not listed under Snoozed after snoozing it`);
        });
        const text = await snoozeItem.innerText();
        assert(/\((59|60) min left\)/.test(text), `the snooze does not last an hour: "${text}"`);
        assert(/Snoozed by /.test(text), `the snooze does not say who: "${text}"`);
        // The open alert offers to end it now.
        await otherRow.getByRole("button", { name: `End snooze of ${other.name}`, exact: true }).waitFor({ timeout: 5000 });

        // Both are on the estate's timeline, newest first.
        const timeline = page.getByRole("list", { name: "Timeline of the whole estate" });
        await eventually(
          async () => {
            const kinds = await timeline.locator(".timeline-kind").allInnerTexts();
            return kinds.includes("Acknowledged") && kinds.includes("Snoozed") && kinds;
          },
          { timeout: 20_000, message: "Acknowledged and Snoozed on the timeline" },
        );

        // Deliveries and channels: whatever the demo has, each in its section.
        await page.getByRole("region", { name: "Deliveries" }).waitFor();
        const channels = page.getByRole("region", { name: "Channels" });
        await channels.waitFor();
        const test = channels.getByRole("button", { name: /^Send test to / }).first();
        if ((await test.count()) > 0) {
          await test.click();
          await eventually(async () => /Test notification (sent to|to .* failed)/.test(await statusText(page)), {
            timeout: 20_000,
            message: "the outcome of the channel test announced",
          });
        }

        await page.screenshot({ path: join(SHOTS, "alerts-desktop.png"), fullPage: true });

        // End the snooze again from the list of snoozes.
        await snoozeItem.getByRole("button", { name: `End snooze of ${other.name}`, exact: true }).click();
        await snoozeItem.waitFor({ state: "detached", timeout: 10_000 });
        snoozed = null;
      });
    } finally {
      if (snoozed) await endSnooze(base, snoozed.series);
    }
  });

  await test("alerts: a check's page shows its timeline and takes a note", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/alerts`);
      const open = await waitForOpenAlerts(page, 1);
      const target = acknowledged ?? open[0];
      await page
        .getByRole("list", { name: "Open alerts" })
        .locator(`a[data-check-id="${target.series}"]`)
        .click();
      await page.waitForFunction((h) => location.hash === h, `#/check/${encodeURIComponent(target.series)}`, { timeout: 5000 });
      await page.getByRole("link", { name: "← All alerts" }).waitFor({ timeout: 5000 });

      const section = page.getByRole("region", { name: "Alerts", exact: true });
      await section.waitFor({ timeout: 10_000 });
      const title = (await page.getByRole("heading", { level: 1 }).innerText()).trim();
      const timeline = section.getByRole("list", { name: `Timeline of ${title}` });
      await timeline.waitFor({ timeout: 10_000 });
      const kinds = await timeline.locator(".timeline-kind").allInnerTexts();
      assert(kinds.some((k) => k.startsWith("Status changed")), `no status change on the timeline: ${kinds.join(", ")}`);
      if (acknowledged) assert(kinds.includes("Acknowledged"), `no acknowledgement on the timeline: ${kinds.join(", ")}`);
      await section.getByText(/^Open alert, for /).waitFor({ timeout: 5000 });

      const text = `web test ${process.pid}: checked the logs`;
      await section.getByRole("textbox", { name: "Note" }).fill(text);
      await section.getByRole("button", { name: "Add note" }).click();
      await eventually(
        async () => {
          const first = await timeline.locator("li").first().innerText();
          return first.includes("Note") && first.includes(text) && first;
        },
        { timeout: 10_000, message: "the note at the top of the check's timeline" },
      );
      assertEqual(await section.getByRole("textbox", { name: "Note" }).inputValue(), "", "the note field after adding");
    });
  });

  await test("alerts: the page fits a phone", async () => {
    await withPage(browser, PHONE, async (page) => {
      await page.goto(`${base}/#/alerts`);
      await waitForOpenAlerts(page, 1);
      await page.getByRole("list", { name: "Timeline of the whole estate" }).waitFor({ timeout: 10_000 });
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) {
        const culprits = await page.evaluate(() =>
          [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > 360.5)
            .slice(0, 4)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")}`),
        );
        assert(false, `the Alerts page scrolls sideways (${width} px); sticking out: ${culprits.join(", ")}`);
      }
      await page.screenshot({ path: join(SHOTS, "alerts-phone.png"), fullPage: true });
    });
  });
}
