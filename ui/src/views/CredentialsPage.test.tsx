import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackendError } from "../backend";
import type { CredentialView } from "../bindings/CredentialView";
import type { Credentials } from "../bindings/Credentials";
import type { Request } from "../bindings/Request";
import { FakeBackend, NOW, overview } from "../test/fixtures";
import { CredentialsPage } from "./CredentialsPage";

const TWO_HOURS_AGO = new Date(NOW - 2 * 3_600_000).toISOString();
const LOCKED =
  "The keychain is locked. Unlock it (on Linux: unlock the login keyring in Passwords and Keys), then test again.";

const stored: CredentialView = {
  name: "payments-password",
  state: "stored",
  problem: null,
  used_by: ["payments-api"],
  channels: [],
  cab: false,
  last_set: TWO_HOURS_AGO,
};
const missing: CredentialView = {
  name: "search-token",
  state: "missing",
  problem: "Not in the keychain: set it here or with `opsdeck secret set search-token`.",
  used_by: ["search", "web"],
  channels: [],
  cab: false,
  last_set: null,
};

function credentials(partial: Partial<Credentials> = {}): Credentials {
  return { editable: true, credentials: [stored, missing], ...partial };
}

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

function renderPage(handlers: Handlers = {}) {
  const backend = new FakeBackend({ credentials: () => credentials(), ...handlers });
  render(<CredentialsPage backend={backend} overview={overview()} />);
  return backend;
}

function params<M extends Request["method"]>(backend: FakeBackend, method: M) {
  return backend.calls
    .filter((c): c is Extract<Request, { method: M }> => c.method === method)
    .map((c) => ("params" in c ? c.params : undefined));
}

const item = (name: string) => screen.getByRole("listitem", { name });
const dialog = (name: string) => screen.getByRole("dialog", { name });

describe("Credentials page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("lists the notification channels that use a credential", async () => {
    const smtp: CredentialView = {
      name: "smtp",
      state: "stored",
      problem: null,
      used_by: [],
      channels: ["support-mail"],
      cab: false,
      last_set: null,
    };
    renderPage({ credentials: () => credentials({ credentials: [smtp] }) });
    await screen.findByRole("heading", { name: "smtp" });
    const c = item("smtp");
    expect(within(c).getByRole("link", { name: "Channel support-mail" }).getAttribute("href")).toBe("#/alerts");
    expect(within(c).queryByText("No check")).toBeNull();
  });

  it("shows that the CAB workflow uses its Bitbucket token", async () => {
    const bitbucket: CredentialView = {
      name: "bitbucket",
      state: "stored",
      problem: null,
      used_by: [],
      channels: [],
      cab: true,
      last_set: null,
    };
    renderPage({ credentials: () => credentials({ credentials: [bitbucket] }) });
    await screen.findByRole("heading", { name: "bitbucket" });
    const c = item("bitbucket");
    expect(within(c).getByText("CAB workflow (Bitbucket)")).toBeTruthy();
    expect(within(c).queryByText("No check")).toBeNull();
  });

  it("lists every credential with its state, checks, last set time and problem", async () => {
    renderPage();
    expect(screen.getByRole("heading", { level: 1, name: "Credentials" })).toBeTruthy();
    await screen.findByRole("heading", { name: "payments-password" });

    const p = item("payments-password");
    expect(within(p).getByText("Stored")).toBeTruthy();
    expect(within(p).getByRole("link", { name: "Payments API" }).getAttribute("href")).toBe(
      "#/check/payments-api",
    );
    const lastSet = within(p).getByText("Last set").nextElementSibling!;
    expect(lastSet.textContent).toMatch(/^2 h ago \(1 Jun 2025, \d{2}:00:00\)$/);
    expect(within(p).getByRole("button", { name: "Replace credential payments-password" })).toBeTruthy();
    expect(within(p).getByRole("button", { name: "Delete credential payments-password" })).toBeTruthy();
    expect(within(p).getByRole("button", { name: "Test credential payments-password" })).toBeTruthy();

    const s = item("search-token");
    expect(within(s).getByText("Missing")).toBeTruthy();
    expect(within(s).getByRole("link", { name: "Search" })).toBeTruthy();
    expect(within(s).getByRole("link", { name: "Website" })).toBeTruthy();
    expect(within(s).getByText("Last set").nextElementSibling!.textContent).toBe("—");
    expect(within(s).getByText(/Not in the keychain: set it here/)).toBeTruthy();
    expect(within(s).getByRole("button", { name: "Set credential search-token" })).toBeTruthy();
    expect(within(s).queryByRole("button", { name: /Delete/ })).toBeNull();

    // No value is ever shown: there is none to show.
    expect(document.body.textContent).not.toContain("s3cret");
    expect(screen.getByRole("button", { name: "Add credential" })).toBeTruthy();
  });

  it("sets a missing credential from a password field that is never prefilled", async () => {
    const backend = renderPage({
      set_credential: () => credentials({ credentials: [stored, { ...missing, state: "stored", problem: null }] }),
    });
    const set = await screen.findByRole("button", { name: "Set credential search-token" });
    fireEvent.click(set);

    const d = dialog("Set credential");
    expect(d.getAttribute("aria-modal")).toBe("true");
    const value = within(d).getByLabelText<HTMLInputElement>("Value");
    expect(value.type).toBe("password");
    expect(value.value).toBe("");
    expect(document.activeElement).toBe(value);
    expect(within(d).getByText("search-token")).toBeTruthy();

    fireEvent.change(value, { target: { value: "s3cret" } });
    fireEvent.click(within(d).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "set_credential")).toEqual([{ name: "search-token", value: "s3cret" }]);
    expect(within(item("search-token")).getByText("Stored")).toBeTruthy();
    expect(screen.getByText(/Stored credential search-token/)).toBeTruthy();
    expect(document.body.textContent).not.toContain("s3cret");
  });

  it("replaces a stored credential, clearing the value even when it fails", async () => {
    let fail = true;
    const backend = renderPage({
      set_credential: () => {
        if (fail) throw new BackendError({ code: "unavailable", message: "The keychain refused the write" });
        return credentials();
      },
    });
    const replace = await screen.findByRole("button", { name: "Replace credential payments-password" });
    replace.focus();
    fireEvent.click(replace);
    const d = dialog("Replace credential");
    const value = within(d).getByLabelText<HTMLInputElement>("New value");
    expect(value.value).toBe("");

    fireEvent.change(value, { target: { value: "first-try" } });
    fireEvent.click(within(d).getByRole("button", { name: "Save" }));

    expect((await within(d).findByRole("alert")).textContent).toContain("The keychain refused the write");
    expect(value.value).toBe("");

    fail = false;
    fireEvent.change(value, { target: { value: "second-try" } });
    fireEvent.click(within(d).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "set_credential")).toEqual([
      { name: "payments-password", value: "first-try" },
      { name: "payments-password", value: "second-try" },
    ]);
    // Focus is back on the button that opened the dialog.
    expect(document.activeElement).toBe(replace);
  });

  it("adds a credential under a new name, checking the name first", async () => {
    const backend = renderPage({ set_credential: () => credentials() });
    fireEvent.click(await screen.findByRole("button", { name: "Add credential" }));
    const d = dialog("Add credential");
    const name = within(d).getByLabelText("Name");
    fireEvent.change(name, { target: { value: "Bad Name" } });
    fireEvent.change(within(d).getByLabelText("Value"), { target: { value: "x" } });
    fireEvent.click(within(d).getByRole("button", { name: "Save" }));

    expect(await within(d).findByText(/Use lower-case letters, digits, -, _ or \. only/)).toBeTruthy();
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(backend.count("set_credential")).toBe(0);

    fireEvent.change(name, { target: { value: "grafana.api-key_2" } });
    fireEvent.change(within(d).getByLabelText("Value"), { target: { value: "k3y" } });
    fireEvent.click(within(d).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "set_credential")).toEqual([{ name: "grafana.api-key_2", value: "k3y" }]);
  });

  it("closes the dialog with Escape without storing anything", async () => {
    const backend = renderPage();
    fireEvent.click(await screen.findByRole("button", { name: "Set credential search-token" }));
    fireEvent.keyDown(dialog("Set credential"), { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(backend.count("set_credential")).toBe(0);
  });

  it("deletes a credential after confirmation", async () => {
    const backend = renderPage({
      delete_credential: () =>
        credentials({ credentials: [{ ...stored, state: "missing", problem: "Not in the keychain", last_set: null }, missing] }),
    });
    fireEvent.click(await screen.findByRole("button", { name: "Delete credential payments-password" }));

    const confirm = screen.getByRole("group", { name: "Delete credential payments-password?" });
    expect(document.activeElement).toBe(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(backend.count("delete_credential")).toBe(0);
    fireEvent.click(within(confirm).getByRole("button", { name: "Delete" }));

    await waitFor(() => expect(within(item("payments-password")).getByText("Missing")).toBeTruthy());
    expect(params(backend, "delete_credential")).toEqual([{ name: "payments-password" }]);
    expect(screen.queryByRole("group", { name: /Delete credential/ })).toBeNull();
  });

  it("tests a credential and shows each result", async () => {
    const backend = renderPage({
      test_credential: () => [
        {
          id: "payments-api",
          name: "Payments API",
          type: "http",
          environment: "prod",
          status: "up",
          latency_ms: 35,
          message: "HTTP 200 OK",
          details: {},
          checked_at: new Date(NOW).toISOString(),
        },
      ],
    });
    fireEvent.click(await screen.findByRole("button", { name: "Test credential payments-password" }));

    const results = await screen.findByRole("list", { name: "Test results for payments-password" });
    expect(results.textContent).toContain("Up");
    expect(results.textContent).toContain("Payments API");
    expect(results.textContent).toContain("HTTP 200 OK");
    expect(results.closest("[role=status]")).toBeTruthy();
    expect(params(backend, "test_credential")).toEqual([{ name: "payments-password" }]);
  });

  it("offers no changes when credentials cannot be stored (demo estate), and says why", async () => {
    renderPage({ credentials: () => credentials({ editable: false }) });
    await screen.findByRole("heading", { name: "payments-password" });

    expect(screen.getByText("Credentials cannot be changed here.")).toBeTruthy();
    expect(screen.getByText(/built-in demo estate/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Add credential" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^(Set|Replace|Delete) credential/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Test credential payments-password" })).toBeTruthy();
  });

  it("shows one banner when the keychain cannot be read at all", async () => {
    renderPage({
      credentials: () =>
        credentials({
          credentials: [
            { ...stored, state: "locked", problem: LOCKED },
            { ...missing, state: "locked", problem: LOCKED },
          ],
        }),
    });
    await screen.findByRole("heading", { name: "payments-password" });

    expect(screen.getByText(/The keychain cannot be read/)).toBeTruthy();
    expect(screen.getAllByText(LOCKED)).toHaveLength(1);
    expect(within(item("payments-password")).getByText("Locked")).toBeTruthy();
    // Nothing can be written to a locked keychain.
    expect(screen.queryByRole("button", { name: /^(Set|Replace) credential/ })).toBeNull();
  });
});
