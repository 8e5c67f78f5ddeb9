import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, type DesktopControls } from "../../backend";
import type { SharingStatus } from "../../bindings/SharingStatus";
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

const NOT_SHARED: SharingStatus = { listening: null, suggested_url: null, error: null };
const SHARED: SharingStatus = {
  listening: "https://0.0.0.0:7443/",
  suggested_url: "https://desk-42.example.com:7443",
  error: null,
};

/** The desktop app's controls, sharing or not; only `sharingStatus` is used here. */
function desktopControls(status: SharingStatus | Promise<SharingStatus> = NOT_SHARED): DesktopControls {
  return {
    preferences: () => Promise.reject(new Error("unused")),
    setPreferences: () => Promise.reject(new Error("unused")),
    restart: () => Promise.reject(new Error("unused")),
    sharingStatus: () => Promise.resolve(status),
    onPreferences: () => () => undefined,
  };
}

function setup(handlers: Handlers = {}, desktop?: DesktopControls) {
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
      "Operator: also runs checks on demand, tests credentials and handles alerts",
      "Approver: as operator; also approves, rejects and promotes CABs",
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
    const { backend } = setup({}, desktopControls());
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    let dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    const url = within(dialog).getByLabelText<HTMLInputElement>("Server address");
    expect(url.value).toBe("");
    expect((await within(dialog).findByText(/This computer is not sharing its console/)).textContent).toBe(
      "This computer is not sharing its console; turn on Share on the network under Settings → Desktop, or enter the address of an opsdeck server that uses this computer’s data folder.",
    );
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

  it("offers the address the desktop app shares its console at", async () => {
    window.localStorage.setItem(PAIRING_URL_KEY, JSON.stringify("https://opsdeck.example.com:7443"));
    const sharingStatus = vi.fn(() => Promise.resolve(SHARED));
    const { backend } = setup({}, { ...desktopControls(), sharingStatus });
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    const dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    const url = within(dialog).getByLabelText<HTMLInputElement>("Server address");
    await waitFor(() => expect(url.value).toBe("https://desk-42.example.com:7443"));
    expect(sharingStatus).toHaveBeenCalledTimes(1);
    expect(within(dialog).queryByText(/not sharing its console/)).toBeNull();
    expect(within(dialog).getByText(/by the name in its certificate/)).toBeTruthy();

    fireEvent.click(within(dialog).getByRole("button", { name: "Create pairing code" }));
    await within(dialog).findByRole("img", { name: /Pairing code/ });
    expect(params(backend, "create_token")).toHaveLength(1);
    expect(toDataURL.mock.calls[0]![0]).toBe(`https://desk-42.example.com:7443/#token=${SECRET}`);
    // The typed address is still the one remembered for when the app does not share.
    expect(JSON.parse(window.localStorage.getItem(PAIRING_URL_KEY)!)).toBe("https://opsdeck.example.com:7443");
  });

  it("keeps what the user started typing before the sharing status came", async () => {
    let answer: (s: SharingStatus) => void = () => undefined;
    setup({}, desktopControls(new Promise<SharingStatus>((resolve) => (answer = resolve))));
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    const dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    const url = within(dialog).getByLabelText<HTMLInputElement>("Server address");
    fireEvent.change(url, { target: { value: "https://ops.example.test" } });
    answer(SHARED);
    await waitFor(() => expect(within(dialog).getByText(/by the name in its certificate/)).toBeTruthy());
    expect(url.value).toBe("https://ops.example.test");
  });

  it("uses the remembered address when the desktop app does not share", async () => {
    window.localStorage.setItem(PAIRING_URL_KEY, JSON.stringify("https://opsdeck.example.com:7443"));
    const error = "cannot listen on 0.0.0.0:7443: address in use";
    setup({}, desktopControls({ listening: null, suggested_url: null, error }));
    await within(section()).findByText("wallboard");

    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    const dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    expect(await within(dialog).findByText(/This computer is not sharing its console/)).toBeTruthy();
    expect(within(dialog).getByLabelText<HTMLInputElement>("Server address").value).toBe(
      "https://opsdeck.example.com:7443",
    );
  });

  it("asks nothing about sharing in a browser", async () => {
    setup();
    await within(section()).findByText("wallboard");
    fireEvent.click(screen.getByRole("button", { name: "Pair a phone" }));
    const dialog = screen.getByRole("dialog", { name: "Pair a phone" });
    expect(within(dialog).queryByText(/not sharing its console/)).toBeNull();
  });
});
