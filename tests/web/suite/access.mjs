// Access control in the browser: the sign-in screen (a wrong token refused, a right one let
// in, signing out), a sign-in link that leaves no token in the address bar, what a viewer does
// not see, access tokens and phone pairing in Settings, and the Credentials page storing a
// credential in the real OS keychain so that a check passes (against `opsdeck serve` started
// here; the suite runs inside a private Secret Service, see scripts/test).

import http from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  assert,
  assertEqual,
  DESKTOP,
  eventually,
  mainText,
  PHONE,
  request,
  SHOTS,
  startOpsdeck,
  tempDir,
  test,
  tokenFor,
  waitForOverview,
  withPage,
  openPage,
} from "../lib/harness.mjs";

/** Calls one rpc method with the admin token of the server at `base`. */
async function rpc(base, method, params) {
  const body = JSON.stringify(params === undefined ? { method } : { method, params });
  const r = await request("POST", `${base}/api/rpc`, { body, headers: { "Content-Type": "application/json" } });
  if (r.status !== 200) throw new Error(`${method}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return JSON.parse(r.text);
}

const unique = (what) => `${what}-${process.pid}-${Date.now() % 1_000_000}`;

/** A page that is not signed in (no cookie). */
async function withSignedOutPage(browser, options, fn) {
  const page = await openPage(browser, options, { signedIn: false });
  try {
    return await fn(page);
  } finally {
    await page.context().close().catch(() => undefined);
  }
}

export async function accessTests({ browser, base, binary }) {
  await test("access: the sign-in screen refuses a wrong token, lets a right one in, and signs out", async () => {
    const viewer = await rpc(base, "create_token", { name: unique("web-viewer"), role: "viewer" });
    try {
      await withSignedOutPage(browser, DESKTOP, async (page) => {
        await page.goto(`${base}/`);
        await page.getByRole("heading", { name: "Sign in to opsdeck" }).waitFor({ timeout: 10_000 });
        const field = page.getByLabel("Access token");
        assertEqual(await field.getAttribute("type"), "password", "the token field's type");
        await field.fill("opsdeck_0000000000000000_not-a-token");
        await page.getByRole("button", { name: "Sign in" }).click();
        const alert = page.getByRole("alert");
        await eventually(async () => /not accepted/.test(await alert.innerText()), {
          timeout: 5000,
          message: 'the alert "That token was not accepted"',
        });
        await page.screenshot({ path: join(SHOTS, "sign-in-desktop.png") });

        await field.fill(viewer.token);
        await page.getByRole("button", { name: "Sign in" }).click();
        await waitForOverview(page);
        const text = await mainText(page);
        assert(!text.includes(viewer.token), "the token is shown on the page");
        const header = await page.locator("header.app-head").innerText();
        assert(/Viewer/.test(header), `the header does not name the viewer role: ${header}`);

        await page.getByRole("button", { name: "Sign out" }).click();
        await page.getByText("You have signed out.").waitFor({ timeout: 5000 });
        const after = await request("GET", `${base}/api/overview`, { signedIn: false });
        assertEqual(after.status, 401, "the API without a token");
      });
    } finally {
      await rpc(base, "revoke_token", { name: viewer.info.name });
    }
  });

  await test("access: a sign-in link signs in, leaves no token in the address, and a viewer cannot act", async () => {
    const viewer = await rpc(base, "create_token", { name: unique("web-link"), role: "viewer" });
    try {
      await withSignedOutPage(browser, PHONE, async (page) => {
        await page.goto(`${base}/#token=${viewer.token}`);
        await waitForOverview(page);
        const url = page.url();
        assert(!url.includes("token"), `the token stayed in the address: ${url}`);
        const history = await page.evaluate(() => history.length);
        assert(history <= 2, `unexpected history entries: ${history}`);
        const nav = page.getByRole("navigation", { name: "Main" });
        assertEqual(await nav.getByRole("link", { name: "Settings" }).count(), 0, "a Settings link for a viewer");
        assertEqual(await nav.getByRole("link", { name: "Credentials" }).count(), 0, "a Credentials link for a viewer");
        const first = page.locator("a[data-check-id]").first();
        await first.click();
        await page.getByRole("heading", { level: 1 }).waitFor({ timeout: 5000 });
        assertEqual(await page.getByRole("button", { name: "Check now" }).count(), 0, '"Check now" for a viewer');
        // The server says no as well, whatever the page shows.
        const id = await page.evaluate(() => location.hash.replace("#/check/", ""));
        const run = await request("POST", `${base}/api/checks/${id}/run`, {
          signedIn: false,
          headers: { Authorization: `Bearer ${viewer.token}` },
        });
        assertEqual(run.status, 403, "Check now through the API as a viewer");
        await page.goto(`${base}/#/settings`);
        await page.getByText(/Only an admin can/).first().waitFor({ timeout: 5000 });
      });
    } finally {
      await rpc(base, "revoke_token", { name: viewer.info.name });
    }
  });

  await test("access: tokens in Settings: create one (shown once), pair a phone by QR code, revoke", async () => {
    const name = unique("web-created");
    const phone = unique("web-phone");
    try {
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${base}/#/settings`);
        await page.getByRole("heading", { name: "Access tokens" }).waitFor({ timeout: 10_000 });

        await page.getByRole("button", { name: "Create token" }).first().click();
        let dialog = page.getByRole("dialog");
        await dialog.getByLabel("Name").fill(name);
        await dialog.getByLabel("Role").selectOption("operator");
        await dialog.getByRole("button", { name: "Create token" }).click();
        await dialog.getByText("Copy the token now: it cannot be shown again.").waitFor({ timeout: 5000 });
        const token = await dialog.getByLabel("Token").inputValue();
        assert(/^opsdeck_[0-9a-f]{16}_[0-9a-f]{64}$/.test(token), `the token shown: ${token}`);
        await dialog.getByRole("button", { name: "Done" }).click();
        const listed = await rpc(base, "tokens");
        assertEqual(listed.find((t) => t.name === name)?.role, "operator", "role of the created token");
        const ok = await request("GET", `${base}/api/overview`, { signedIn: false, headers: { Authorization: `Bearer ${token}` } });
        assertEqual(ok.status, 200, "the created token works");

        await page.getByRole("button", { name: "Pair a phone" }).click();
        dialog = page.getByRole("dialog");
        const address = dialog.getByLabel("Server address");
        assertEqual(await address.inputValue(), base, "the address is the one the console was opened at");
        await dialog.getByLabel("Token name").fill(phone);
        await dialog.getByRole("button", { name: "Create pairing code" }).click();
        const code = dialog.getByRole("img", { name: /^Pairing code/ });
        await code.waitFor({ timeout: 5000 });
        const src = await code.getAttribute("src");
        assert(src?.startsWith("data:image/png;base64,"), `the QR code image: ${src?.slice(0, 40)}`);
        const alt = await code.getAttribute("alt");
        assert(alt.includes(base) && alt.includes(phone) && alt.includes("viewer"), `the QR code's name: ${alt}`);
        await page.screenshot({ path: join(SHOTS, "pair-phone-desktop.png") });
        await dialog.getByRole("button", { name: "Done" }).click();
        const paired = (await rpc(base, "tokens")).find((t) => t.name === phone);
        assertEqual(paired?.role, "viewer", "the phone's token role");

        await page.getByRole("button", { name: `Revoke token ${name}` }).click();
        await page.getByRole("group", { name: `Revoke token ${name}?` }).getByRole("button", { name: "Revoke" }).click();
        await eventually(async () => !(await rpc(base, "tokens")).some((t) => t.name === name), {
          timeout: 5000,
          message: "the token to be revoked",
        });
        const refused = await request("GET", `${base}/api/overview`, { signedIn: false, headers: { Authorization: `Bearer ${token}` } });
        assertEqual(refused.status, 401, "a revoked token");
      });
    } finally {
      for (const n of [name, phone]) await rpc(base, "revoke_token", { name: n }).catch(() => undefined);
    }
  });

  await test("access: a missing credential is set from the check page and the check passes (real keychain)", async () => {
    if (!process.env.DBUS_SESSION_BUS_ADDRESS && process.platform === "linux") {
      throw new Error("no session bus: run the suite inside scripts/with-keyring");
    }
    const secret = `web-value-${process.pid}`;
    const credential = unique("web-cred");
    // An endpoint that is healthy only with the right bearer token.
    const endpoint = http.createServer((req, res) => {
      const ok = req.headers.authorization === `Bearer ${secret}`;
      res.writeHead(ok ? 200 : 401, { "Content-Type": "text/plain" });
      res.end(ok ? "Healthy" : "Unhealthy");
    });
    await new Promise((r) => endpoint.listen(0, "127.0.0.1", r));
    const tmp = tempDir("credentials");
    let server;
    try {
      const configPath = join(tmp.dir, "opsdeck.toml");
      writeFileSync(
        configPath,
        `[[check]]
id = "secured-api"
name = "Secured API"
type = "http"
url = "http://127.0.0.1:${endpoint.address().port}/HealthCheck"
interval = "1h"
bearer_token = { secret = "${credential}" }
`,
      );
      server = await startOpsdeck(binary, [
        "serve", "--config", configPath, "--listen", "127.0.0.1:0", "--data-dir", join(tmp.dir, "data"),
      ]);
      const url = server.url;
      assert(tokenFor(url), "no token registered for the server");
      await withPage(browser, DESKTOP, async (page) => {
        await page.goto(`${url}/#/check/secured-api`);
        const problem = page.getByRole("region", { name: "Credential problem" });
        await problem.waitFor({ timeout: 15_000 });
        const said = await problem.innerText();
        assert(said.includes(credential) && said.includes("not in the keychain"), `the credential problem: ${said}`);
        await problem.getByRole("button", { name: "Set credential" }).click();
        const dialog = page.getByRole("dialog");
        await dialog.getByLabel("Value").fill(secret);
        await dialog.getByRole("button", { name: "Save" }).click();
        await problem.waitFor({ state: "detached", timeout: 15_000 }).catch(async (e) => {
          const detail = await rpc(url, "check_detail", { id: "secured-api" });
          throw new Error(`${e.message}\n  the API says: ${JSON.stringify(detail.check)}`);
        });
        await eventually(async () => (await rpc(url, "check_detail", { id: "secured-api" })).check.last_status === "up", {
          timeout: 15_000,
          message: "the check to pass with the credential set from the page",
        });

        await page.goto(`${url}/#/credentials`);
        const item = page.getByRole("listitem", { name: credential });
        await item.waitFor({ timeout: 10_000 });
        await eventually(async () => (await item.innerText()).includes("Stored"), { timeout: 5000, message: "state Stored" });
        const listed = await item.innerText();
        assert(/Secured API|secured-api/.test(listed), `the credential does not list its check: ${listed}`);
        assert(!(await mainText(page)).includes(secret), "the value is shown on the page");
        await page.screenshot({ path: join(SHOTS, "credentials-desktop.png"), fullPage: true });

        await page.getByRole("button", { name: `Delete credential ${credential}` }).click();
        await page.getByRole("group", { name: `Delete credential ${credential}?` }).getByRole("button", { name: "Delete" }).click();
        await eventually(async () => (await item.innerText()).includes("Missing"), { timeout: 10_000, message: "state Missing" });
      });
    } finally {
      if (server) {
        await rpc(server.url, "delete_credential", { name: credential }).catch(() => undefined);
        await server.stop();
      }
      endpoint.closeAllConnections?.();
      endpoint.close();
      tmp.remove();
    }
  });
}
