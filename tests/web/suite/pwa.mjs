// Installability: the web app manifest and its icons, and a service worker that never stores
// or answers API requests.

import { assert, assertEqual, DESKTOP, eventually, request, test, waitForOverview, withPage } from "../lib/harness.mjs";

export async function pwaTests({ browser, base }) {
  await test("pwa: manifest linked and served, with icons", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      const href = await page.locator('link[rel="manifest"]').getAttribute("href").catch(() => null);
      assert(href, 'no <link rel="manifest"> in the page');
      const manifestUrl = new URL(href, page.url()).href;
      const r = await request("GET", manifestUrl);
      assertEqual(r.status, 200, `HTTP status of ${manifestUrl}`);
      assert(
        /application\/(manifest\+)?json/.test(r.headers["content-type"] ?? ""),
        `the manifest is served as "${r.headers["content-type"]}"`,
      );
      const manifest = JSON.parse(r.text);
      assert(manifest.name && manifest.short_name, "the manifest has no name/short_name");
      assert(manifest.start_url !== undefined, "the manifest has no start_url");
      assert(["standalone", "minimal-ui", "fullscreen"].includes(manifest.display), `display is ${manifest.display}`);
      const icons = manifest.icons ?? [];
      assert(icons.length > 0, "the manifest has no icons");
      const sizes = icons.flatMap((i) => String(i.sizes).split(/\s+/));
      assert(sizes.includes("192x192") && sizes.includes("512x512"), `icon sizes ${sizes.join(", ")} lack 192 or 512`);
      for (const icon of icons) {
        const iconUrl = new URL(icon.src, manifestUrl).href;
        const ir = await request("GET", iconUrl);
        assertEqual(ir.status, 200, `HTTP status of icon ${iconUrl}`);
        assert((ir.headers["content-type"] ?? "").startsWith(icon.type ?? "image/"), `icon ${iconUrl} is ${ir.headers["content-type"]}`);
        assert(ir.text.length > 100, `icon ${iconUrl} is empty`);
      }
    });
  });

  await test("pwa: a service worker registers and never caches /api/", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/`);
      await waitForOverview(page);
      const registration = await eventually(
        () =>
          page.evaluate(async () => {
            const reg = await navigator.serviceWorker.getRegistration();
            return reg ? { scope: reg.scope, active: reg.active?.state ?? null, script: reg.active?.scriptURL ?? null } : null;
          }),
        { timeout: 10_000, message: "navigator.serviceWorker.getRegistration() to return a registration" },
      );
      assertEqual(registration.scope, `${base}/`, "service worker scope");
      await eventually(
        () => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state === "activated"),
        { timeout: 10_000, message: "the service worker to activate" },
      );

      // Controlled now (after a reload at the latest): API calls still go to the network.
      await page.reload();
      await waitForOverview(page);
      assert(await page.evaluate(() => navigator.serviceWorker.controller !== null), "the page is not controlled by the worker");
      const apiResponses = [];
      page.on("response", (resp) => {
        if (new URL(resp.url()).pathname.includes("/api/")) apiResponses.push(resp);
      });
      await page.evaluate(async () => {
        await fetch("api/overview").then((r) => r.text());
        await fetch("api/checks/reporting-api-test").then((r) => r.text());
        await fetch("api/rpc", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ method: "stats" }),
        }).then((r) => r.text());
      });
      assert(apiResponses.length >= 3, `saw ${apiResponses.length} API responses`);
      const fromWorker = apiResponses.filter((r) => r.fromServiceWorker()).map((r) => r.url());
      assertEqual(fromWorker.length, 0, `API responses answered by the service worker (${fromWorker.join(", ")})`);

      const cached = await page.evaluate(async () => {
        const urls = [];
        for (const name of await caches.keys()) {
          for (const req of await (await caches.open(name)).keys()) urls.push(`${name} ${req.url}`);
        }
        return urls;
      });
      const api = cached.filter((u) => u.includes("/api/"));
      assertEqual(api.length, 0, `API responses in the Cache Storage (${api.join(", ")})`);
      assert(cached.length > 0, "the service worker cached nothing at all (not even the app shell)");
    });
  });
}
