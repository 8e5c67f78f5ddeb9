// A status change made in the demo estate reaches an open overview live, without a reload;
// and the phone and dark-theme views.

import { join } from "node:path";
import {
  allChecks,
  assert,
  assertEqual,
  checkRow,
  DESKTOP,
  eventually,
  overviewOf,
  PHONE,
  rowStatus,
  runCheck,
  setBehaviour,
  SHOTS,
  sleep,
  test,
  waitForOverview,
  withPage,
} from "../lib/harness.mjs";
import { shownIds } from "./overview.mjs";

/** A check that is up and stays up on its own: API Gateway in Dev, else any plain healthy one. */
function pickHealthy(checks) {
  const preferred = ["api-gateway-dev", "identity-dev", "api-gateway-test"];
  for (const id of preferred) {
    const c = checks.find((x) => x.id === id && x.status === "up" && x.last_status === "up");
    if (c) return c;
  }
  const c = checks.find((x) => x.status === "up" && x.last_status === "up" && /api-gateway|identity/.test(x.id));
  assert(c, "no healthy demo check to break");
  return c;
}

async function assertNotReloaded(page, when) {
  const state = await page.evaluate(() => ({
    marker: window.__marker,
    navigations: performance.getEntriesByType("navigation").length,
  }));
  assert(state.marker === 1, `the page was reloaded ${when} (window.__marker is ${state.marker})`);
}

export async function liveTests({ browser, base }) {
  await test("live: a service breaking and mending in the estate shows without a reload", async () => {
    const check = pickHealthy(allChecks(await overviewOf(base)));
    let broken = false;
    try {
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${base}/`);
        await waitForOverview(page);
        assertEqual(await rowStatus(page, check.id), "Up", `status of ${check.id} before`);
        await page.evaluate(() => {
          window.__marker = 1;
        });
        const requests = [];
        page.on("request", (r) => {
          if (r.isNavigationRequest()) requests.push(r.url());
        });

        await setBehaviour(check.target, "unhealthy");
        broken = true;
        // The first failure is not confirmed yet: the row shows the newest result beside
        // the confirmed status (or already Down, if the schedule ran twice meanwhile).
        await runCheck(base, check.id);
        const row = checkRow(page, check.id);
        await eventually(
          async () => {
            const pending = await row.locator(".row-pending").count();
            if (pending > 0) return (await row.locator(".row-pending").innerText()).includes("Down");
            return (await rowStatus(page, check.id)) === "Down";
          },
          { timeout: 10_000, message: `the first failing result of ${check.id} to show in its row` },
        );
        // Two more failures confirm Down (failures_to_down = 3).
        await runCheck(base, check.id);
        await runCheck(base, check.id);
        const downAt = Date.now();
        await eventually(async () => (await rowStatus(page, check.id)) === "Down", {
          timeout: 15_000,
          message: `the row of ${check.id} to say Down`,
        });
        console.log(`  # ${check.id} showed Down ${Date.now() - downAt} ms after the third failing run`);
        const message = await row.locator(".row-message").innerText();
        assert(message.includes("Unhealthy"), `the row's message does not say Unhealthy: "${message}"`);
        // The environment and the header follow.
        const envSection = page.locator("section.env", { has: page.locator(`a[data-check-id="${check.id}"]`) });
        assertEqual(
          (await envSection.locator(".env-head .status-text").innerText()).trim(),
          "Down",
          `status of ${check.envName} with ${check.id} down`,
        );
        await assertNotReloaded(page, "while the check went down");

        await setBehaviour(check.target, "reset");
        broken = false;
        // successes_to_up = 2.
        await runCheck(base, check.id);
        await runCheck(base, check.id);
        await eventually(async () => (await rowStatus(page, check.id)) === "Up", {
          timeout: 15_000,
          message: `the row of ${check.id} to say Up again`,
        });
        await assertNotReloaded(page, "while the check recovered");
        assertEqual(requests.length, 0, `navigation requests during the test (${requests.join(", ")})`);
      });
    } finally {
      if (broken) await setBehaviour(check.target, "reset").catch(() => undefined);
      // Leave the shared demo as it was: two good results bring it back up.
      await runCheck(base, check.id).catch(() => undefined);
      await runCheck(base, check.id).catch(() => undefined);
    }
  });
}

export async function phoneTests({ browser, base }) {
  await test("phone 360×740: overview without sideways scrolling, search, detail", async () => {
    await withPage(browser, PHONE, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const overflow = () =>
        page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      let o = await overflow();
      assertEqual(o.inner, 360, "window.innerWidth");
      assert(o.scroll <= 360, `the overview scrolls sideways: scrollWidth ${o.scroll} > 360`);
      // The controls fit on the screen.
      for (const [what, loc] of [
        ["search box", page.getByRole("searchbox", { name: "Search checks" })],
        ["Only problems", page.getByLabel("Only problems")],
        ["Grid button", page.getByRole("button", { name: "Grid" })],
        ["Jump to button", page.getByRole("button", { name: /Jump to/ })],
      ]) {
        const box = await loc.boundingBox();
        assert(box, `${what} is not visible on a phone`);
        assert(box.x >= 0 && box.x + box.width <= 360.5, `${what} sticks out of the screen (${box.x}+${box.width})`);
      }
      await page.screenshot({ path: join(SHOTS, "overview-phone.png"), fullPage: true });

      const search = page.getByRole("searchbox", { name: "Search checks" });
      await search.tap();
      await search.fill("identity");
      await eventually(async () => {
        const ids = await shownIds(page);
        return ids.length > 0 && ids.every((id) => id.startsWith("identity-"));
      }, { timeout: 5000, message: "only Identity Server rows after searching for identity" });
      o = await overflow();
      assert(o.scroll <= 360, `the filtered overview scrolls sideways: ${o.scroll}`);
      await search.fill("");

      const link = page.locator('a[data-check-id="epicor-sync-live"]');
      await link.scrollIntoViewIfNeeded();
      await link.tap();
      await page.waitForFunction(() => location.hash === "#/check/epicor-sync-live", null, { timeout: 5000 });
      await page.getByRole("region", { name: "Health report entries" }).getByText("rabbitmq").first().waitFor({ timeout: 10_000 });
      assertEqual((await page.getByRole("heading", { level: 1 }).innerText()).trim(), "Epicor Sync API", "heading");
      await sleep(300);
      await page.screenshot({ path: join(SHOTS, "check-detail-phone.png"), fullPage: true });
      o = await overflow();
      if (o.scroll > 360) {
        const culprits = await page.evaluate(() =>
          [...document.querySelectorAll("body *")]
            .filter((el) => el.getBoundingClientRect().right > 360.5)
            .slice(0, 4)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} (right ${Math.round(el.getBoundingClientRect().right)})`),
        );
        assert(false, `the detail page scrolls sideways: scrollWidth ${o.scroll} > 360; sticking out: ${culprits.join(", ")}`);
      }
    });
  });
}

export async function darkTests({ browser, base }) {
  await test("dark theme: the overview follows prefers-color-scheme", async () => {
    await withPage(browser, { ...DESKTOP, colorScheme: "dark" }, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const bg = await page.evaluate(() => {
        const parse = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
        for (const el of [document.body, document.documentElement]) {
          const rgba = parse(getComputedStyle(el).backgroundColor);
          if (rgba.length >= 3 && (rgba.length < 4 || rgba[3] > 0)) return rgba;
        }
        return null;
      });
      assert(bg, "the page has no background colour");
      const luminance = (0.2126 * bg[0] + 0.7152 * bg[1] + 0.0722 * bg[2]) / 255;
      assert(luminance < 0.3, `the background is not dark with colorScheme dark: rgb(${bg.slice(0, 3).join(", ")})`);
      await page.screenshot({ path: join(SHOTS, "overview-dark-desktop.png"), fullPage: true });
    });
  });
}
