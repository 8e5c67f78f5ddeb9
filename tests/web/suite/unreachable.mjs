// The engine goes away under an open page and comes back on the same address: the page says
// so, keeps its data, and reconnects by itself. Runs against its own `opsdeck demo`, never the
// shared one.

import {
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  overviewOf,
  sleep,
  startOpsdeck,
  tempDir,
  test,
  waitForOverview,
  withPage,
} from "../lib/harness.mjs";

const LOST = "Lost connection to the opsdeck server — reconnecting…";

async function startOnPort(binary, port, dataDir) {
  // The port was ours a moment ago; retry briefly in case the kernel has not let go of it.
  let lastError;
  for (let i = 0; i < 20; i++) {
    try {
      return await startOpsdeck(binary, ["demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dataDir]);
    } catch (e) {
      lastError = e;
      if (!/cannot listen/.test(String(e.message))) throw e;
      await sleep(500);
    }
  }
  throw lastError;
}

export async function unreachableTests({ browser, binary }) {
  await test("engine unreachable: banner, data kept, reconnects by itself on the same port", async () => {
    const tmp = tempDir("unreachable");
    let server;
    try {
      server = await startOpsdeck(binary, ["demo", "--listen", "127.0.0.1:0", "--data-dir", tmp.dir]);
      const url = server.url;
      const port = new URL(url).port;
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${url}/`);
        await waitForOverview(page);
        const live = page.locator(".app-head .live");
        await eventually(async () => (await live.innerText()).trim() === "Live", {
          timeout: 10_000,
          message: 'the live indicator to say "Live"',
        });
        const rowsBefore = await page.locator("a[data-check-id]").count();
        const targetOf = (id) => page.locator("li.check-row", { has: page.locator(`a[data-check-id="${id}"]`) }).locator(".row-target");
        const oldTarget = (await targetOf("fsw-api-live").innerText()).trim();
        await page.evaluate(() => {
          window.__marker = 1;
        });

        await server.stop();
        const stoppedAt = Date.now();
        const banner = page.locator(".connection-lost");
        await banner.waitFor({ timeout: 15_000 }).catch(async () => {
          throw new Error(
            `no connection-lost banner 15 s after the server stopped; live indicator says "${await live.innerText()}"`,
          );
        });
        const bannerText = await banner.innerText();
        assert(bannerText.includes(LOST), `the banner says "${bannerText}", expected "${LOST}"`);
        assert(/Showing the data last received at/.test(bannerText), `the banner does not say which data is shown: "${bannerText}"`);
        assertEqual((await live.innerText()).trim(), "Reconnecting…", "live indicator while the server is down");
        console.log(`  # banner shown ${Date.now() - stoppedAt} ms after the server stopped`);
        // The data stays.
        assertEqual(await page.locator("a[data-check-id]").count(), rowsBefore, "check rows while the server is down");
        assert((await page.locator("main").innerText()).includes("Field Service Web API"), "the checks vanished while the server is down");
        await sleep(3000); // a few failed reconnects
        assertEqual(await page.locator("a[data-check-id]").count(), rowsBefore, "check rows after failed reconnects");
        assert(await banner.isVisible(), "the banner went away while the server is still down");

        server = await startOnPort(binary, port, tmp.dir);
        assertEqual(server.url, url, "URL of the restarted server");
        const restartedAt = Date.now();
        // The restarted demo's fake services listen on new ports, so a refreshed overview
        // shows new target URLs.
        const fresh = await overviewOf(url);
        const newTarget = fresh.environments.flatMap((e) => e.checks).find((c) => c.id === "fsw-api-live").target;
        await eventually(async () => (await live.innerText()).trim() === "Live" && !(await banner.isVisible()), {
          timeout: 45_000,
          interval: 500,
          message: 'the page to reconnect by itself ("Live", no banner)',
        });
        console.log(`  # reconnected ${Date.now() - restartedAt} ms after the server was back`);
        if (newTarget !== oldTarget) {
          await eventually(async () => (await targetOf("fsw-api-live").innerText()).trim() === newTarget, {
            timeout: 15_000,
            message: `the overview to refresh (Field Service Web API's URL ${oldTarget} → ${newTarget})`,
          });
        } else {
          console.log("  # the restarted fakes reused their port: data refresh not observable through the URL");
        }
        assertEqual(await page.evaluate(() => window.__marker), 1, "window.__marker (the page must not reload)");
        assertEqual(await page.locator("a[data-check-id]").count(), rowsBefore, "check rows after reconnecting");
      });
    } finally {
      await server?.stop();
      tmp.remove();
    }
  });
}
