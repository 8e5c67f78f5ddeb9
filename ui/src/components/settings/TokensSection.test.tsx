import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../backend";
import type { Request } from "../../bindings/Request";
import type { TokenInfo } from "../../bindings/TokenInfo";
import { CallerContext } from "../../lib/roles";
import { ADMIN, FakeBackend } from "../../test/fixtures";
import { SettingsPage } from "../../views/SettingsPage";
import { defaultPhoneTokenName, PAIRING_URL_KEY } from "./PairPhoneDialog";
import { TokensSection } from "./TokensSection";

const toDataURL = vi.hoisted(() =>
  vi.fn<(text: string, options?: unknown) => Promise<string>>(() =>
    Promise.resolve("data:image/png;base64,iVBORw0KGgo="),
  ),
);
vi.mock("qrcode", () => ({ default: { toDataURL } }));

const SECRET = `opsdeck_00112233aabbccdd_${"ef".repeat(32)}`;

const ada: TokenInfo = {
  name: "ada",
  role: "admin",
  id: "opsdeck_0123456789abcdef",
  created_at: "2025-05-01T09:30:00Z",
};
const wallboard: TokenInfo = {
  name: "wallboard",
  role: "viewer",
  id: "opsdeck_fedcba9876543210",
  created_at: "2025-05-20T14:00:00Z",
};

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

function setup(handlers: Handlers = {}, desktop = false) {
  let tokens: TokenInfo[] = [ada, wallboard];
  const backend = new FakeBackend({
    tokens: () => tokens,
    create_token: (req) => {
      if (req.method !== "create_token") throw new Error("unexpected");
      const info: TokenInfo = {
        name: req.params.name,
        role: req.params.role,
        id: "opsdeck_00112233aabbccdd",
        created_at: "2025-06-01T12:00:00Z",
      };
      tokens = [...tokens, info];
      return { info, token: SECRET };
    },
    revoke_token: (req) => {
      if (req.method !== "revoke_token") throw new Error("unexpected");
      tokens = tokens.filter((t) => t.name !== req.params.name);
      return tokens;
    },
    ...handlers,
  });
  const announce = vi.fn();
  render(
    <CallerContext.Provider value={ADMIN}>
      <TokensSection client={api(backend)} announce={announce} desktop={desktop} />
    </CallerContext.Provider>,
  );
  return { backend, announce };
}

function params<M extends Request["method"]>(backend: FakeBackend, method: M) {
  return backend.calls
    .filter((c): c is Extract<Request, { method: M }> => c.method === method)
    .map((c) => ("params" in c ? c.params : undefined));
}

const section = () => screen.getByRole("region", { name: "Access tokens" });
const list = () => within(section()).getByRole("list", { name: "Access tokens" });

describe("Access tokens", () => {
  beforeEach(() => {
    toDataURL.mockClear();
  });

  afterEach(() => {
    Reflect.deleteProperty(navigator, "clipboard");
  });

  it("is a section of the admin's Settings", async () => {
    render(
      <SettingsPage
        backend={
          new FakeBackend({
            estate: () => ({
              path: null,
              exists: false,
              revision: "r",
              editable: false,
              read_only_reason: "demo",
              environments: [],
              checks: [],
            }),
            tokens: () => [ada],
          })
        }
      />,
    );
    expect(await screen.findByRole("heading", { level: 2, name: "Access tokens" })).toBeTruthy();
    expect(await screen.findByText("opsdeck_0123456789abcdef")).toBeTruthy();
  });

  it("lists name, role, id and creation time", async () => {
    setup();
    await within(section()).findByText("wallboard");
    const items = within(list()).getAllByRole("listitem");
    expect(items).toHaveLength(2);
    expect(items[1]!.textContent).toContain("Viewer");
    expect(items[1]!.textContent).toContain("opsdeck_fedcba9876543210");
    expect(items[1]!.textContent).toMatch(/created 20 May 2025, \d{2}:00:00/);
    // Signed in as "ada": that token is this session's.
    expect(within(items[0]!).getByText("This session")).toBeTruthy();
  });

  it("creates a token and shows it once, with a Copy button", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const { backend } = setup();
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    const dialog = screen.getByRole("dialog", { name: "Create token" });
    const role = within(dialog).getByLabelText<HTMLSelectElement>("Role");
    expect(role.value).toBe("viewer");
    expect([...role.options].map((o) => o.textContent)).toEqual([
      "Viewer: sees status, check pages and history; changes nothing",
      "Operator: also runs checks on demand and tests credentials",
      "Approver: as operator; reserved for approving changes",
      "Admin: everything: settings, credentials and tokens",
    ]);

    fireEvent.click(within(dialog).getByRole("button", { name: "Create token" }));
    expect(await within(dialog).findByText(/Enter a name/)).toBeTruthy();
    expect(backend.count("create_token")).toBe(0);

    fireEvent.change(within(dialog).getByLabelText("Name"), { target: { value: "grafana" } });
    fireEvent.change(role, { target: { value: "operator" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create token" }));

    const token = await within(dialog).findByLabelText<HTMLInputElement>("Token");
    expect(token.value).toBe(SECRET);
    expect(token.readOnly).toBe(true);
    expect(within(dialog).getByText("Copy the token now: it cannot be shown again.")).toBeTruthy();
    expect(params(backend, "create_token")).toEqual([{ name: "grafana", role: "operator" }]);
    // The list behind already has it, without its value.
    await waitFor(() => expect(within(list()).getAllByRole("listitem")).toHaveLength(3));
    expect(list().textContent).not.toContain(SECRET);

    fireEvent.click(within(dialog).getByRole("button", { name: "Copy" }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(SECRET));
    expect(await within(dialog).findByText("Copied.")).toBeTruthy();

    fireEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("revokes a token after confirmation", async () => {
    const { backend, announce } = setup();
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Revoke token wallboard" }));
    const confirm = screen.getByRole("group", { name: "Revoke token wallboard?" });
    expect(backend.count("revoke_token")).toBe(0);
    fireEvent.click(within(confirm).getByRole("button", { name: "Revoke" }));

    await waitFor(() => expect(within(list()).getAllByRole("listitem")).toHaveLength(1));
    expect(params(backend, "revoke_token")).toEqual([{ name: "wallboard" }]);
    expect(announce).toHaveBeenCalledWith(expect.stringContaining("Revoked token wallboard"));
  });

  it("cancels a revocation", async () => {
    const { backend } = setup();
    await within(section()).findByText("wallboard");
    fireEvent.click(screen.getByRole("button", { name: "Revoke token wallboard" }));
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Revoke token wallboard" })),
    );
    expect(backend.count("revoke_token")).toBe(0);
  });
});

describe("Pair a phone", () => {
  beforeEach(() => {
    toDataURL.mockClear();
  });

  it("creates a viewer token and shows the sign-in link as a QR code", async () => {
    const { backend } = setup();
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    const dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    const url = within(dialog).getByLabelText<HTMLInputElement>("Server address");
    expect(url.value).toBe(window.location.origin);
    const name = within(dialog).getByLabelText<HTMLInputElement>("Token name");
    expect(name.value).toBe(defaultPhoneTokenName());
    expect(name.value).toMatch(/^phone-\d{4}-\d{2}-\d{2}$/);

    fireEvent.change(url, { target: { value: "https://ops.example.test:7443/" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create pairing code" }));

    const image = await within(dialog).findByRole<HTMLImageElement>("img", { name: /Pairing code/ });
    expect(image.src).toBe("data:image/png;base64,iVBORw0KGgo=");
    expect(params(backend, "create_token")).toEqual([{ name: name.value, role: "viewer" }]);
    expect(toDataURL).toHaveBeenCalledTimes(1);
    expect(toDataURL.mock.calls[0]![0]).toBe(`https://ops.example.test:7443/#token=${SECRET}`);
    expect(
      within(dialog).getByText(/Anyone who scans this code can view the console until the token is revoked/),
    ).toBeTruthy();
    // The token itself is not written out.
    expect(dialog.textContent).not.toContain(SECRET);

    fireEvent.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.queryByRole("img", { name: /Pairing code/ })).toBeNull();
  });

  it("asks the desktop app for the server address and remembers it", async () => {
    const { backend } = setup({}, true);
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    let dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    const url = within(dialog).getByLabelText<HTMLInputElement>("Server address");
    expect(url.value).toBe("");
    expect(within(dialog).getByText(/shares this computer’s data folder/).textContent).toContain(
      "https://opsdeck.example.com:7443",
    );

    fireEvent.click(within(dialog).getByRole("button", { name: "Create pairing code" }));
    expect(await within(dialog).findByText(/Enter the address the phone opens/)).toBeTruthy();
    expect(backend.count("create_token")).toBe(0);

    fireEvent.change(url, { target: { value: "https://opsdeck.example.com:7443" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Create pairing code" }));
    await within(dialog).findByRole("img", { name: /Pairing code/ });
    expect(JSON.parse(window.localStorage.getItem(PAIRING_URL_KEY)!)).toBe("https://opsdeck.example.com:7443");
    fireEvent.keyDown(dialog, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    expect((within(dialog).getByLabelText<HTMLInputElement>("Server address")).value).toBe(
      "https://opsdeck.example.com:7443",
    );
  });
});
