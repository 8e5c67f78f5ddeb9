// The Settings page: read-only against the demo, and a real edit against `opsdeck serve` on a
// temporary config file (an added check reaches the overview and the file; a bad interval is
// refused at the field and leaves the file alone).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  overviewOf,
  rowStatus,
  SHOTS,
  sleep,
  startHealthyServer,
  startOpsdeck,
  tempDir,
  test,
  withPage,
} from "../lib/harness.mjs";

const SAVED = "Saved. The engine uses the new configuration now.";

export async function settingsTests({ browser, base, binary }) {
  await test("settings: #/settings renders, read-only against the demo", async () => {
    await withPage(browser, DESKTOP, async (page) => {
      await page.goto(`${base}/#/settings`);
      const h1 = page.getByRole("heading", { level: 1 });
      await eventually(async () => (await h1.innerText()).trim() === "Settings", {
        timeout: 5000,
        message: 'the heading "Settings"',
      });
      const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" });
      assertEqual(await nav.getAttribute("aria-current"), "page", "Settings link marked as the current page");
      await page.getByText("These settings are read-only.").waitFor({ timeout: 10_000 }).catch(() => {
        throw new Error('no "These settings are read-only." notice on the demo');
      });
      const reason = await page.locator(".settings-reason").innerText();
      assert(/built-in demo estate/.test(reason), `the read-only reason does not explain the demo: "${reason}"`);
      assertEqual(await page.getByRole("button", { name: "Add check" }).count(), 0, '"Add check" buttons on the demo');
      assertEqual(await page.getByRole("button", { name: /^Edit/ }).count(), 0, '"Edit" buttons on the demo');
    });
  });

  await test("settings: add a check through the form; a bad interval is refused at the field", async () => {
    const tmp = tempDir("settings");
    const fake = await startHealthyServer();
    let server;
    try {
      const configPath = join(tmp.dir, "opsdeck.toml");
      writeFileSync(
        configPath,
        `# Written by tests/web (settings edit test).

[[environment]]
id = "prod"
name = "Production"

[[check]]
id = "billing-api"
name = "Billing API"
type = "http"
environment = "prod"
url = "${fake.url}/billing/HealthCheck"
interval = "5s"
timeout = "2s"
tags = ["api"]
`,
      );
      server = await startOpsdeck(binary, [
        "serve",
        "--config",
        configPath,
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        tmp.dir,
      ]);
      const url = server.url;
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${url}/#/settings`);
        await page.getByText("Billing API").first().waitFor({ timeout: 10_000 }).catch(() => {
          throw new Error("the Settings page does not list the configured check Billing API");
        });
        assertEqual(await page.getByText("These settings are read-only.").count(), 0, "read-only notice on an editable file");
        await page.evaluate(() => {
          window.__marker = 1;
        });

        // Add a check.
        await page.getByRole("button", { name: "Add check" }).click();
        const form = page.getByRole("form", { name: "Add check" });
        await form.waitFor({ timeout: 3000 }).catch(() => {
          throw new Error('"Add check" did not open a form named "Add check"');
        });
        await form.getByLabel("ID", { exact: true }).fill("shipping-api");
        await form.getByLabel("Name", { exact: true }).fill("Shipping API");
        assertEqual(
          await form.getByLabel("Environment", { exact: true }).inputValue(),
          "prod",
          "the only environment is chosen for a new check",
        );
        await form.getByLabel("Tags", { exact: true }).fill("api, logistics");
        await form.getByLabel("URL", { exact: true }).fill(`${fake.url}/shipping/HealthCheck`);
        await form.getByLabel("Interval", { exact: true }).fill("5s");
        await form.getByRole("button", { name: "Save" }).click();
        await page.locator(".settings-status", { hasText: SAVED }).waitFor({ timeout: 10_000 }).catch(async () => {
          const problem = await page.locator(".settings-problem, .field-error").allInnerTexts();
          throw new Error(`no "${SAVED}" after saving; problems shown: ${JSON.stringify(problem)}`);
        });
        await form.waitFor({ state: "detached", timeout: 3000 });
        const text = readFileSync(configPath, "utf8");
        for (const want of ['id = "shipping-api"', 'name = "Shipping API"', `${fake.url}/shipping/HealthCheck`, 'interval = "5s"']) {
          assert(text.includes(want), `the config file does not contain ${want}:\n${text}`);
        }
        assert(text.includes("# Written by tests/web"), "the file's comment was lost by the edit");
        assert(
          (await page.locator(".settings-item-name", { hasText: "Shipping API" }).count()) === 1,
          "the new check is not listed on the Settings page",
        );

        // It appears on the overview, and gets a result.
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
        await page.locator('a[data-check-id="shipping-api"]').waitFor({ timeout: 15_000 }).catch(() => {
          throw new Error("the new check shipping-api does not appear on the overview");
        });
        await eventually(async () => (await rowStatus(page, "shipping-api")) === "Up", {
          timeout: 20_000,
          message: "the new check to be Up on the overview",
        });
        const api = await overviewOf(url);
        assert(
          api.environments.some((e) => e.checks.some((c) => c.id === "shipping-api")),
          "the engine does not watch the new check",
        );

        // A bad interval: refused at the field, nothing written.
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
        await page.locator(".settings-item-name", { hasText: "Shipping API" }).waitFor({ timeout: 10_000 });
        await eventually(
          async () => (await overviewOf(url)).environments.every((e) => e.checks.every((c) => c.status === "up")),
          { timeout: 20_000, message: "both checks to be up before the screenshot" },
        );
        await page.screenshot({ path: join(SHOTS, "settings-desktop.png"), fullPage: true });
        await page.getByRole("button", { name: "Add check" }).click();
        const again = page.getByRole("form", { name: "Add check" });
        await again.getByLabel("ID", { exact: true }).fill("broken-check");
        await again.getByLabel("URL", { exact: true }).fill(`${fake.url}/broken/HealthCheck`);
        await again.getByLabel("Interval", { exact: true }).fill("soon");
        const before = readFileSync(configPath, "utf8");
        await again.getByRole("button", { name: "Save" }).click();
        const interval = again.getByLabel("Interval", { exact: true });
        await eventually(async () => (await interval.getAttribute("aria-invalid")) === "true", {
          timeout: 10_000,
          message: 'the Interval input to be marked aria-invalid="true"',
        });
        const field = again.locator(".field", { has: page.getByLabel("Interval", { exact: true }) });
        const error = field.locator(".field-error");
        assertEqual(await error.count(), 1, "error messages at the Interval field");
        const errorText = (await error.innerText()).trim();
        assert(errorText.length > 0, "the Interval field's error is empty");
        assert(
          ((await interval.getAttribute("aria-describedby")) ?? "").split(" ").includes(await error.getAttribute("id")),
          "the Interval input is not described by its error (aria-describedby)",
        );
        assert(
          await interval.evaluate((el) => el === document.activeElement),
          "focus did not move to the Interval field",
        );
        const others = await again.locator(".field-error").count();
        assertEqual(others, 1, "fields with an error (only Interval is wrong)");
        await again.locator(".settings-problem", { hasText: "Nothing was saved" }).waitFor({ timeout: 3000 });
        assertEqual(await interval.inputValue(), "soon", "the typed interval is kept after the refusal");
        await sleep(1000);
        assertEqual(readFileSync(configPath, "utf8"), before, "the config file after a refused save");
        const after = await overviewOf(url);
        assert(
          !after.environments.some((e) => e.checks.some((c) => c.id === "broken-check")),
          "the refused check is watched anyway",
        );
        assertEqual(await page.evaluate(() => window.__marker), 1, "window.__marker (no reload while editing)");
        console.log(`  # interval error shown: "${errorText}"`);
      });
    } finally {
      await server?.stop();
      await fake.close();
      tmp.remove();
    }
  });
}
