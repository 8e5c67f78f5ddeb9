import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackendError, type DesktopControls } from "../backend";
import type { About } from "../bindings/About";
import type { CheckForm } from "../bindings/CheckForm";
import type { DesktopPreferences } from "../bindings/DesktopPreferences";
import type { EstateFile } from "../bindings/EstateFile";
import type { Request } from "../bindings/Request";
import type { SharingStatus } from "../bindings/SharingStatus";
import { formatUntil } from "../components/settings/DesktopSection";
import { newCheckForm } from "../lib/estateForm";
import { FakeBackend } from "../test/fixtures";
import { SettingsPage } from "./SettingsPage";

const PATH = "/home/ada/.config/opsdeck/opsdeck.toml";
const NO_SHARING: DesktopPreferences["sharing"] = {
  enabled: false,
  listen: "0.0.0.0:7443",
  tls_cert: null,
  tls_key: null,
};

const NOT_SHARED: SharingStatus = { listening: null, suggested_url: null, error: null };

function checkForm(partial: Partial<CheckForm> & Pick<CheckForm, "id">): CheckForm {
  return { ...newCheckForm(), url: `https://${partial.id}.example.test/health`, ...partial };
}

function estateFile(partial: Partial<EstateFile> = {}): EstateFile {
  return {
    path: PATH,
    exists: true,
    revision: "rev-1",
    editable: true,
    read_only_reason: null,
    environments: [
      { id: "prod", name: "Production", order: 1 },
      { id: "staging", name: "Staging", order: null },
    ],
    checks: [
      checkForm({ id: "payments-api", name: "Payments API", environment: "prod", tags: ["billing"] }),
      checkForm({ id: "web", name: "Website", environment: "prod", other_keys: ["headers", "json_pointer"] }),
      checkForm({ id: "search", name: "Search", environment: "staging", enabled: false }),
    ],
    ...partial,
  };
}

const ABOUT: About = {
  version: "0.4.0",
  os: "linux",
  config_path: PATH,
  demo: false,
  data_dir: "/home/ada/.local/share/opsdeck",
  database: "/home/ada/.local/share/opsdeck/opsdeck.db",
  log_dir: "/home/ada/.local/state/opsdeck/logs",
};

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

function backendWith(handlers: Handlers = {}): FakeBackend {
  return new FakeBackend({ estate: () => estateFile(), about: () => ABOUT, ...handlers });
}

function params<M extends Request["method"]>(backend: FakeBackend, method: M) {
  return backend.calls
    .filter((c): c is Extract<Request, { method: M }> => c.method === method)
    .map((c) => ("params" in c ? c.params : undefined));
}

const checksSection = () => screen.getByRole("region", { name: "Checks" });
const environmentsSection = () => screen.getByRole("region", { name: "Environments" });

async function openAddCheck() {
  fireEvent.click(await screen.findByRole("button", { name: "Add check" }));
  return screen.getByRole("form", { name: "Add check" });
}

function fill(form: HTMLElement, label: string, value: string) {
  fireEvent.change(within(form).getByLabelText(label), { target: { value } });
}

describe("Settings", () => {
  it("loads the estate and lists environments and checks", async () => {
    const backend = backendWith();
    render(<SettingsPage backend={backend} />);

    expect(screen.getByRole("heading", { level: 1, name: "Settings" })).toBeTruthy();
    await screen.findByRole("button", { name: "Edit check Payments API" });

    const envs = environmentsSection();
    expect(within(envs).getByText("Production")).toBeTruthy();
    expect(within(envs).getByText("2 checks, order 1")).toBeTruthy();
    expect(within(envs).getByRole("button", { name: "Edit environment Staging" })).toBeTruthy();

    const checks = checksSection();
    expect(within(checks).getByRole("heading", { level: 3, name: "Production prod" })).toBeTruthy();
    const staging = within(checks).getByRole("heading", { level: 3, name: "Staging staging" });
    const stagingList = staging.nextElementSibling as HTMLElement;
    expect(within(stagingList).getByText("Search")).toBeTruthy();
    expect(within(stagingList).getByText("Disabled")).toBeTruthy();
    expect(within(checks).getByRole("button", { name: "Remove check Website" })).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Desktop" })).toBeNull();
    expect(backend.count("estate")).toBe(1);
  });

  it("offers only removal for check types the forms do not cover, and says where to edit them", async () => {
    const broker = checkForm({
      id: "erp-mq",
      name: "ERP broker",
      type: "rabbitmq",
      environment: "prod",
      url: "http://mq.example.test:15672",
      other_keys: ["url", "vhost", "queues", "username", "password"],
    });
    const backend = backendWith({ estate: () => estateFile({ checks: [broker] }) });
    render(<SettingsPage backend={backend} />);
    await screen.findByRole("button", { name: "Remove check ERP broker" });
    expect(screen.queryByRole("button", { name: "Edit check ERP broker" })).toBeNull();
    const note = within(checksSection()).getByText((_, el) => el?.textContent === "A rabbitmq check: edit it in the configuration file.");
    expect(note).toBeTruthy();
  });

  it("filters the checks", async () => {
    render(<SettingsPage backend={backendWith()} />);
    const filter = await screen.findByRole("searchbox", { name: "Filter checks" });

    fireEvent.change(filter, { target: { value: "billing" } });
    expect(within(checksSection()).getByText("Payments API")).toBeTruthy();
    expect(within(checksSection()).queryByText("Website")).toBeNull();

    fireEvent.change(filter, { target: { value: "nothing like it" } });
    expect(within(checksSection()).getByText("No checks match “nothing like it”.")).toBeTruthy();
  });

  it("adds a check and sends exactly the form", async () => {
    const backend = backendWith({
      save_check: (req) => {
        if (req.method !== "save_check") throw new Error("unexpected");
        return estateFile({ revision: "rev-2", checks: [...estateFile().checks, req.params.check] });
      },
    });
    render(<SettingsPage backend={backend} />);

    const form = await openAddCheck();
    expect(document.activeElement).toBe(within(form).getByLabelText("ID"));
    fill(form, "ID", " orders ");
    fill(form, "Name", "Orders");
    fill(form, "Environment", "staging");
    fill(form, "URL", "https://orders.example.test/health");
    fill(form, "Expected status codes", "200, 204,");
    fill(form, "Tags", "shop, public , ");
    fill(form, "Keychain entry for the password", "orders-password");
    fill(form, "User name", "monitor");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(screen.queryByRole("form", { name: "Add check" })).toBeNull());
    expect(params(backend, "save_check")).toEqual([
      {
        revision: "rev-1",
        original_id: null,
        check: {
          id: "orders",
          type: "http",
          name: "Orders",
          environment: "staging",
          tags: ["shop", "public"],
          interval: "30s",
          timeout: "5s",
          enabled: true,
          url: "https://orders.example.test/health",
          method: "GET",
          expected_status: [200, 204],
          body_contains: "",
          format: "auto",
          username: "monitor",
          password: "orders-password",
          bearer_token: "",
          tls_insecure: false,
          ca_file: "",
          other_keys: [],
        },
      },
    ]);
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe("Saved. The engine uses the new configuration now."),
    );
    expect(within(checksSection()).getByRole("button", { name: "Edit check Orders" })).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Add check" })));
  });

  it("edits a check against the newest revision and keeps what the form does not show", async () => {
    let revision = 1;
    const backend = backendWith({
      estate: () => estateFile({ revision: `rev-${revision}` }),
      save_check: (req) => {
        if (req.method !== "save_check") throw new Error("unexpected");
        revision += 1;
        const checks = estateFile().checks.map((c) => (c.id === req.params.original_id ? req.params.check : c));
        return estateFile({ revision: `rev-${revision}`, checks });
      },
    });
    render(<SettingsPage backend={backend} />);

    fireEvent.click(await screen.findByRole("button", { name: "Edit check Website" }));
    const form = screen.getByRole("form", { name: "Edit check Website" });
    expect(within(form).getByText("Also set in the file: headers, json_pointer; edit those in the file.")).toBeTruthy();
    expect(within(form).getByLabelText<HTMLInputElement>("ID").value).toBe("web");
    fill(form, "ID", "www");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    const edited = await within(checksSection()).findByRole("button", { name: "Edit check Website" });
    await waitFor(() => expect(document.activeElement).toBe(edited));
    expect(params(backend, "save_check")[0]).toMatchObject({
      revision: "rev-1",
      original_id: "web",
      check: { id: "www", other_keys: ["headers", "json_pointer"] },
    });

    fireEvent.click(edited);
    fireEvent.click(
      within(screen.getByRole("form", { name: "Edit check Website" })).getByRole("button", { name: "Save" }),
    );
    await waitFor(() => expect(backend.count("save_check")).toBe(2));
    expect(params(backend, "save_check")[1]).toMatchObject({ revision: "rev-2", original_id: "www" });
  });

  it("shows the engine's field errors at their fields and keeps the input", async () => {
    const backend = backendWith({
      save_check: () => {
        throw new BackendError(
          {
            code: "invalid_request",
            message: "the change was not saved",
            fields: [
              { field: "url", message: "enter the URL to check" },
              { field: "interval", message: "use a duration such as 30s" },
              { field: "", message: "`settings.max_per_host`: must be at least 1" },
            ],
          },
          400,
        );
      },
    });
    render(<SettingsPage backend={backend} />);

    const form = await openAddCheck();
    fill(form, "ID", "orders");
    fill(form, "Interval", "often");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    const url = within(form).getByLabelText("URL");
    await waitFor(() => expect(url.getAttribute("aria-invalid")).toBe("true"));
    const describedBy = url.getAttribute("aria-describedby")!.split(" ");
    expect(document.getElementById(describedBy[0]!)?.textContent).toBe("Enter the URL to check.");
    // Focus goes to the first field to fix, in the order the form shows them.
    await waitFor(() => expect(document.activeElement).toBe(url));

    const interval = within(form).getByLabelText<HTMLInputElement>("Interval");
    expect(interval.getAttribute("aria-invalid")).toBe("true");
    expect(interval.value).toBe("often");
    const id = within(form).getByLabelText<HTMLInputElement>("ID");
    expect(id.value).toBe("orders");
    expect(id.getAttribute("aria-invalid")).toBeNull();
    expect(within(form).getByText("`settings.max_per_host`: must be at least 1.")).toBeTruthy();

    // Nothing else changed: the form is open, the list is as it was, nothing reported as saved.
    expect(within(checksSection()).getAllByRole("button", { name: /^Edit check/ })).toHaveLength(3);
    expect(screen.getByRole("status").textContent).toBe("");
    expect(backend.count("estate")).toBe(1);
  });

  it("refuses status codes that are not numbers without asking the engine", async () => {
    const backend = backendWith();
    render(<SettingsPage backend={backend} />);

    const form = await openAddCheck();
    fill(form, "Expected status codes", "200, 2xx");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    const codes = within(form).getByLabelText("Expected status codes");
    await waitFor(() => expect(document.activeElement).toBe(codes));
    expect(codes.getAttribute("aria-invalid")).toBe("true");
    expect(within(form).getByText(/“2xx” is not a status code/)).toBeTruthy();
    expect(backend.count("save_check")).toBe(0);
  });

  it("offers to reload when the file changed on disk, keeping the form", async () => {
    let revision = 1;
    const backend = backendWith({
      estate: () => estateFile({ revision: `rev-${revision}` }),
      save_check: () => {
        throw new BackendError({ code: "conflict", message: "the configuration file changed on disk" }, 409);
      },
    });
    render(<SettingsPage backend={backend} />);

    const form = await openAddCheck();
    fill(form, "ID", "orders");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    const reload = await within(form).findByRole("button", { name: "Reload" });
    expect(within(form).getByText(/changed on disk after this page loaded it, so nothing was saved/)).toBeTruthy();
    revision = 2;
    fireEvent.click(reload);

    await waitFor(() => expect(within(form).queryByRole("button", { name: "Reload" })).toBeNull());
    expect(backend.count("estate")).toBe(2);
    expect(within(form).getByLabelText<HTMLInputElement>("ID").value).toBe("orders");
    await waitFor(() => expect(screen.getByRole("status").textContent).toContain("Reloaded the configuration file"));

    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.count("save_check")).toBe(2));
    expect(params(backend, "save_check")[1]).toMatchObject({ revision: "rev-2" });
  });

  it("shows a read-only estate without edit buttons", async () => {
    const backend = backendWith({
      estate: () =>
        estateFile({
          editable: false,
          read_only_reason: "The configuration file has problems; fix them in the file first:\nline 3: unknown key",
        }),
    });
    render(<SettingsPage backend={backend} />);

    expect(await screen.findByText(/fix them in the file first:\s+line 3: unknown key/)).toBeTruthy();
    expect(screen.getByText("These settings are read-only.")).toBeTruthy();
    expect(within(checksSection()).getByText("Payments API")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Add check" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Add environment" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Edit / })).toBeNull();
    expect(screen.queryByRole("button", { name: /^Remove / })).toBeNull();
  });

  describe("without a configuration file", () => {
    const missing = () =>
      estateFile({
        exists: false,
        editable: false,
        revision: "",
        read_only_reason: `There is no configuration file at ${PATH} yet: opsdeck is showing the built-in demo estate in its place.`,
        environments: [],
        checks: [],
      });
    const created = () =>
      estateFile({ revision: "rev-new", environments: [{ id: "live", name: "Live", order: null }], checks: [] });

    it("creates it and says to restart opsdeck serve", async () => {
      const backend = backendWith({ estate: missing, create_estate: created });
      render(<SettingsPage backend={backend} />);

      expect(await screen.findByText(/There is no configuration file at/)).toBeTruthy();
      expect(screen.queryByText("These settings are read-only.")).toBeNull();
      expect(screen.queryByRole("region", { name: "Checks" })).toBeNull();
      fireEvent.click(screen.getByRole("button", { name: "Create configuration file" }));

      await screen.findByText(/The demo estate keeps running until opsdeck restarts/);
      expect(backend.count("create_estate")).toBe(1);
      expect(screen.getByText(/to use it\./).textContent).toBe("Restart opsdeck serve to use it.");
      expect(screen.queryByRole("button", { name: "Restart opsdeck now" })).toBeNull();
      expect(screen.queryByRole("button", { name: "Create configuration file" })).toBeNull();
      expect(within(environmentsSection()).getByText("Live")).toBeTruthy();
      expect(screen.getByRole("button", { name: "Add check" })).toBeTruthy();
    });

    it("offers to restart the desktop app", async () => {
      const restart = vi.fn(() => Promise.resolve());
      const backend = Object.assign(backendWith({ estate: missing, create_estate: created }), {
        desktop: desktopControls({ restart }),
      });
      render(<SettingsPage backend={backend} />);

      fireEvent.click(await screen.findByRole("button", { name: "Create configuration file" }));
      fireEvent.click(await screen.findByRole("button", { name: "Restart opsdeck now" }));
      expect(restart).toHaveBeenCalledTimes(1);
    });
  });

  it("removes a check after confirmation", async () => {
    const backend = backendWith({
      remove_check: (req) => {
        if (req.method !== "remove_check") throw new Error("unexpected");
        return estateFile({
          revision: "rev-2",
          checks: estateFile().checks.filter((c) => c.id !== req.params.id),
        });
      },
    });
    render(<SettingsPage backend={backend} />);

    const removeButton = await screen.findByRole("button", { name: "Remove check Website" });
    fireEvent.click(removeButton);
    let confirm = screen.getByRole("group", { name: "Remove check Website?" });
    const cancel = within(confirm).getByRole("button", { name: "Cancel" });
    expect(document.activeElement).toBe(cancel);

    fireEvent.click(cancel);
    await waitFor(() =>
      expect(document.activeElement).toBe(screen.getByRole("button", { name: "Remove check Website" })),
    );
    expect(screen.queryByRole("group", { name: "Remove check Website?" })).toBeNull();
    expect(backend.count("remove_check")).toBe(0);

    fireEvent.click(screen.getByRole("button", { name: "Remove check Website" }));
    confirm = screen.getByRole("group", { name: "Remove check Website?" });
    fireEvent.click(within(confirm).getByRole("button", { name: "Remove" }));

    await waitFor(() => expect(screen.queryByRole("button", { name: "Edit check Website" })).toBeNull());
    expect(params(backend, "remove_check")).toEqual([{ revision: "rev-1", id: "web" }]);
    await waitFor(() =>
      expect(screen.getByRole("status").textContent).toBe(
        "Removed check Website. The engine uses the new configuration now.",
      ),
    );
    await waitFor(() =>
      expect(document.activeElement).toBe(within(checksSection()).getByRole("heading", { name: "Checks" })),
    );
  });

  it("says why an environment was not removed", async () => {
    const backend = backendWith({
      remove_environment: () => {
        throw new BackendError({
          code: "invalid_request",
          message: "the change was not saved",
          fields: [{ field: "", message: "2 check(s) belong to this environment; move or remove them first" }],
        });
      },
    });
    render(<SettingsPage backend={backend} />);

    fireEvent.click(await screen.findByRole("button", { name: "Remove environment Production" }));
    const confirm = screen.getByRole("group", { name: "Remove environment Production?" });
    expect(within(confirm).getByText("2 checks belong to it: move or remove them first.")).toBeTruthy();
    fireEvent.click(within(confirm).getByRole("button", { name: "Remove" }));

    expect(
      await within(confirm).findByText("2 check(s) belong to this environment; move or remove them first."),
    ).toBeTruthy();
    expect(params(backend, "remove_environment")).toEqual([{ revision: "rev-1", id: "prod" }]);
    expect(within(environmentsSection()).getByText("Production")).toBeTruthy();
  });

  it("adds an environment with its order", async () => {
    const backend = backendWith({
      save_environment: (req) => {
        if (req.method !== "save_environment") throw new Error("unexpected");
        return estateFile({ revision: "rev-2", environments: [...estateFile().environments, req.params.environment] });
      },
    });
    render(<SettingsPage backend={backend} />);

    fireEvent.click(await screen.findByRole("button", { name: "Add environment" }));
    const form = screen.getByRole("form", { name: "Add environment" });
    fill(form, "ID", "dev");
    fill(form, "Name", "Development");
    fill(form, "Order", "ten");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(form).getByLabelText("Order").getAttribute("aria-invalid")).toBe("true"));
    expect(backend.count("save_environment")).toBe(0);

    fill(form, "Order", "10");
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await within(environmentsSection()).findByRole("button", { name: "Edit environment Development" });
    expect(params(backend, "save_environment")).toEqual([
      { revision: "rev-1", original_id: null, environment: { id: "dev", name: "Development", order: 10 } },
    ]);
  });

  describe("About", () => {
    afterEach(() => {
      Reflect.deleteProperty(navigator, "clipboard");
    });

    it("shows the version and file locations, with copy buttons when there is a clipboard", async () => {
      const writeText = vi.fn(() => Promise.resolve());
      Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
      render(<SettingsPage backend={backendWith({ about: () => ({ ...ABOUT, demo: true }) })} />);

      const about = await screen.findByRole("region", { name: "About" });
      await within(about).findByText("0.4.0");
      expect(within(about).getByText("Linux")).toBeTruthy();
      expect(within(about).getByText(PATH)).toBeTruthy();
      expect(within(about).getByText(ABOUT.database!)).toBeTruthy();
      expect(within(about).getByText(ABOUT.log_dir!)).toBeTruthy();
      expect(within(about).getByText("The built-in demo estate is running.")).toBeTruthy();

      fireEvent.click(within(about).getByRole("button", { name: "Copy data folder path" }));
      expect(writeText).toHaveBeenCalledWith(ABOUT.data_dir);
      await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Copied the data folder path."));
    });

    it("has no copy buttons without a clipboard", async () => {
      render(<SettingsPage backend={backendWith()} />);
      const about = await screen.findByRole("region", { name: "About" });
      await within(about).findByText(PATH);
      expect(within(about).queryByRole("button", { name: /^Copy/ })).toBeNull();
    });
  });

  describe("Desktop", () => {
    const NOW = new Date(2025, 5, 1, 12, 0).getTime();

    beforeEach(() => {
      vi.useFakeTimers({ now: NOW, toFake: ["Date"] });
    });

    afterEach(() => {
      vi.useRealTimers();
    });

    it("toggles the preferences through the desktop shell", async () => {
      const prefs: DesktopPreferences = {
        start_with_os: false,
        notifications: true,
        muted_until: new Date(NOW + 2 * 3_600_000).toISOString(),
        sharing: NO_SHARING,
      };
      const setPreferences = vi.fn((p: DesktopPreferences) => Promise.resolve(p));
      const backend = Object.assign(backendWith(), {
        desktop: desktopControls({ preferences: () => Promise.resolve(prefs), setPreferences }),
      });
      render(<SettingsPage backend={backend} />);

      const desktop = await screen.findByRole("region", { name: "Desktop" });
      const notifications = await within(desktop).findByRole("checkbox", {
        name: "Show notifications when a check goes down or comes back up",
      });
      const start = within(desktop).getByRole("checkbox", { name: "Start opsdeck when I sign in" });
      expect((notifications as HTMLInputElement).checked).toBe(true);
      expect((start as HTMLInputElement).checked).toBe(false);
      expect(within(desktop).getByText("Muted until 14:00")).toBeTruthy();

      fireEvent.click(notifications);
      await waitFor(() => expect(setPreferences).toHaveBeenCalledTimes(1));
      expect(setPreferences).toHaveBeenLastCalledWith({ ...prefs, notifications: false });
      await waitFor(() => expect((notifications as HTMLInputElement).checked).toBe(false));
      await waitFor(() => expect(screen.getByRole("status").textContent).toBe("Notifications are off."));

      fireEvent.click(within(desktop).getByRole("button", { name: "Unmute" }));
      await waitFor(() => expect(within(desktop).queryByText(/Muted until/)).toBeNull());
      expect(setPreferences).toHaveBeenLastCalledWith({ ...prefs, notifications: false, muted_until: null });
    });

    it("puts a refused change back and says why", async () => {
      const prefs: DesktopPreferences = {
        start_with_os: false,
        notifications: true,
        muted_until: null,
        sharing: NO_SHARING,
      };
      const backend = Object.assign(backendWith(), {
        desktop: desktopControls({
          preferences: () => Promise.resolve(prefs),
          setPreferences: () => Promise.reject(new BackendError({ code: "internal", message: "no autostart here" })),
        }),
      });
      render(<SettingsPage backend={backend} />);

      const start = await screen.findByRole("checkbox", { name: "Start opsdeck when I sign in" });
      fireEvent.click(start);
      expect((await screen.findByRole("alert")).textContent).toContain("no autostart here");
      expect((start as HTMLInputElement).checked).toBe(false);
    });

    it("follows preferences changed elsewhere, such as muting from the tray", async () => {
      let push: ((p: DesktopPreferences) => void) | null = null;
      const stop = vi.fn();
      const backend = Object.assign(backendWith(), {
        desktop: desktopControls({
          onPreferences: (callback) => {
            push = callback;
            return stop;
          },
        }),
      });
      const { unmount } = render(<SettingsPage backend={backend} />);
      const desktop = await screen.findByRole("region", { name: "Desktop" });
      await screen.findByRole("checkbox", { name: "Start opsdeck when I sign in" });
      expect(within(desktop).queryByRole("button", { name: "Unmute" })).toBeNull();

      const until = new Date(NOW + 3_600_000).toISOString();
      act(() => push?.({ start_with_os: false, notifications: true, muted_until: until, sharing: NO_SHARING }));
      expect(await within(desktop).findByRole("button", { name: "Unmute" })).toBeTruthy();
      unmount();
      expect(stop).toHaveBeenCalled();
    });

    describe("Network sharing", () => {
      const CERT = String.raw`C:\certs\desk-42.pem`;
      const KEY = String.raw`C:\certs\desk-42.key`;
      const SHARED: SharingStatus = {
        listening: "https://0.0.0.0:7443/",
        suggested_url: "https://desk-42.example.com:7443",
        error: null,
      };

      const sharingForm = () => screen.findByRole("form", { name: "Network sharing" });
      const field = (form: HTMLElement, label: string) => within(form).getByLabelText<HTMLInputElement>(label);

      it("saves sharing with the other preferences unchanged and says where it is shared", async () => {
        const prefs: DesktopPreferences = {
          start_with_os: true,
          notifications: false,
          muted_until: new Date(NOW + 3_600_000).toISOString(),
          sharing: NO_SHARING,
        };
        const setPreferences = vi.fn((p: DesktopPreferences) => Promise.resolve(p));
        let status = NOT_SHARED;
        const sharingStatus = vi.fn(() => Promise.resolve(status));
        const backend = Object.assign(backendWith(), {
          desktop: desktopControls({ preferences: () => Promise.resolve(prefs), setPreferences, sharingStatus }),
        });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        expect(await within(form).findByText("Not shared")).toBeTruthy();
        expect(form.textContent).toContain("Browsers and phones on the network can open this console");
        expect(form.textContent).toContain("Pair a phone");
        expect(form.textContent).toContain("127.0.0.1");
        const share = within(form).getByRole<HTMLInputElement>("checkbox", { name: "Share on the network" });
        expect(share.checked).toBe(false);
        expect(field(form, "Address and port").value).toBe("0.0.0.0:7443");
        expect(field(form, "Certificate (PEM file)").value).toBe("");
        expect(field(form, "Private key (PEM file)").value).toBe("");
        expect(form.textContent).toContain(CERT);
        // Nothing is saved before Save.
        fireEvent.click(share);
        expect(share.checked).toBe(true);
        expect(setPreferences).not.toHaveBeenCalled();

        fireEvent.change(field(form, "Certificate (PEM file)"), { target: { value: `  "${CERT}" ` } });
        fireEvent.change(field(form, "Private key (PEM file)"), { target: { value: KEY } });
        status = SHARED;
        fireEvent.click(within(form).getByRole("button", { name: "Save sharing settings" }));

        await waitFor(() => expect(setPreferences).toHaveBeenCalledTimes(1));
        expect(setPreferences).toHaveBeenLastCalledWith({
          ...prefs,
          sharing: { enabled: true, listen: "0.0.0.0:7443", tls_cert: CERT, tls_key: KEY },
        });
        const shared = await within(form).findByText(/^Shared at/);
        expect(shared.textContent).toBe("Shared at https://0.0.0.0:7443/");
        expect(form.textContent).toContain("https://desk-42.example.com:7443");
        await waitFor(() =>
          expect(screen.getByRole("status").textContent).toBe(
            "Saved. The console is shared at https://0.0.0.0:7443/.",
          ),
        );
        expect(field(form, "Certificate (PEM file)").value).toBe(CERT);
        expect(within(form).queryByRole("alert")).toBeNull();
      });

      it("turns sharing off and keeps the rest", async () => {
        const sharing = { enabled: true, listen: "0.0.0.0:7443", tls_cert: CERT, tls_key: KEY };
        const prefs: DesktopPreferences = { start_with_os: false, notifications: true, muted_until: null, sharing };
        const setPreferences = vi.fn((p: DesktopPreferences) => Promise.resolve(p));
        const sharingStatus = vi
          .fn<() => Promise<SharingStatus>>()
          .mockResolvedValueOnce(SHARED)
          .mockResolvedValue(NOT_SHARED);
        const backend = Object.assign(backendWith(), {
          desktop: desktopControls({ preferences: () => Promise.resolve(prefs), setPreferences, sharingStatus }),
        });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        await within(form).findByText(/^Shared at/);
        fireEvent.click(within(form).getByRole("checkbox", { name: "Share on the network" }));
        fireEvent.click(within(form).getByRole("button", { name: "Save sharing settings" }));

        await waitFor(() => expect(setPreferences).toHaveBeenCalledTimes(1));
        expect(setPreferences).toHaveBeenLastCalledWith({ ...prefs, sharing: { ...sharing, enabled: false } });
        expect(await within(form).findByText("Not shared")).toBeTruthy();
        expect(within(form).queryByText(/^Shared at/)).toBeNull();
      });

      it("shows why sharing is not running", async () => {
        const error =
          "refusing to listen on 0.0.0.0:7443 without TLS: anyone on the network could read the traffic; choose a certificate and key (PEM files), or listen on 127.0.0.1:7443";
        const backend = Object.assign(backendWith(), {
          desktop: desktopControls({
            preferences: () =>
              Promise.resolve({
                start_with_os: false,
                notifications: true,
                muted_until: null,
                sharing: { ...NO_SHARING, enabled: true },
              }),
            sharingStatus: () => Promise.resolve({ listening: null, suggested_url: null, error }),
          }),
        });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        const alert = await within(form).findByRole("alert");
        expect(alert.textContent).toBe(`Not shared: ${error}`);
        expect(within(form).getByRole<HTMLInputElement>("checkbox", { name: "Share on the network" }).checked).toBe(
          true,
        );
      });

      it("checks the fields before saving", async () => {
        const setPreferences = vi.fn((p: DesktopPreferences) => Promise.resolve(p));
        const backend = Object.assign(backendWith(), { desktop: desktopControls({ setPreferences }) });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        fireEvent.change(field(form, "Address and port"), { target: { value: " " } });
        fireEvent.change(field(form, "Certificate (PEM file)"), { target: { value: CERT } });
        fireEvent.click(within(form).getByRole("button", { name: "Save sharing settings" }));

        expect(await within(form).findByText(/Enter an address and port/)).toBeTruthy();
        expect(within(form).getByText(/Enter the private key that goes with the certificate/)).toBeTruthy();
        await waitFor(() => expect(document.activeElement).toBe(field(form, "Address and port")));
        expect(field(form, "Address and port").getAttribute("aria-invalid")).toBe("true");
        expect(setPreferences).not.toHaveBeenCalled();

        fireEvent.change(field(form, "Address and port"), { target: { value: "127.0.0.1" } });
        fireEvent.click(within(form).getByRole("button", { name: "Save sharing settings" }));
        expect(await within(form).findByText(/Add the port after a colon/)).toBeTruthy();
        expect(setPreferences).not.toHaveBeenCalled();
      });

      it("keeps what was typed when the shell refuses it", async () => {
        const backend = Object.assign(backendWith(), {
          desktop: desktopControls({
            setPreferences: () =>
              Promise.reject(new BackendError({ code: "internal", message: "cannot write the preferences file" })),
          }),
        });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        fireEvent.change(field(form, "Address and port"), { target: { value: "127.0.0.1:8443" } });
        fireEvent.click(within(form).getByRole("button", { name: "Save sharing settings" }));

        const alert = await within(form).findByRole("alert");
        expect(alert.textContent).toBe("The sharing settings were not saved: cannot write the preferences file");
        await waitFor(() => expect(document.activeElement).toBe(alert));
        expect(field(form, "Address and port").value).toBe("127.0.0.1:8443");

        fireEvent.click(within(form).getByRole("button", { name: "Undo changes" }));
        expect(field(form, "Address and port").value).toBe("0.0.0.0:7443");
        expect(within(form).queryByRole("alert")).toBeNull();
      });

      it("does not save the sharing draft with the other switches", async () => {
        const setPreferences = vi.fn((p: DesktopPreferences) => Promise.resolve(p));
        const backend = Object.assign(backendWith(), { desktop: desktopControls({ setPreferences }) });
        render(<SettingsPage backend={backend} />);

        const form = await sharingForm();
        fireEvent.click(within(form).getByRole("checkbox", { name: "Share on the network" }));
        fireEvent.click(screen.getByRole("checkbox", { name: "Start opsdeck when I sign in" }));
        await waitFor(() => expect(setPreferences).toHaveBeenCalledTimes(1));
        expect(setPreferences).toHaveBeenLastCalledWith({
          start_with_os: true,
          notifications: true,
          muted_until: null,
          sharing: NO_SHARING,
        });
        // The unsaved change is still in the form.
        expect(within(form).getByRole<HTMLInputElement>("checkbox", { name: "Share on the network" }).checked).toBe(
          true,
        );
      });

      it("says when the status cannot be read", async () => {
        const backend = Object.assign(backendWith(), {
          desktop: desktopControls({
            sharingStatus: () => Promise.reject(new BackendError({ code: "internal", message: "no such command" })),
          }),
        });
        render(<SettingsPage backend={backend} />);
        const form = await sharingForm();
        expect(
          (await within(form).findByText(/Cannot tell whether the console is shared/)).textContent,
        ).toContain("no such command");
      });
    });

    it("writes the mute time in en-GB, with the day when it is not today", () => {
      expect(formatUntil(new Date(2025, 5, 1, 14, 0).getTime(), NOW)).toBe("14:00");
      expect(formatUntil(new Date(2025, 5, 2, 9, 5).getTime(), NOW)).toBe("Mon 2 Jun, 09:05");
    });
  });
});

function desktopControls(partial: Partial<DesktopControls> = {}): DesktopControls {
  return {
    preferences: () =>
      Promise.resolve({ start_with_os: false, notifications: true, muted_until: null, sharing: NO_SHARING }),
    setPreferences: (p) => Promise.resolve(p),
    restart: () => Promise.resolve(),
    sharingStatus: () => Promise.resolve(NOT_SHARED),
    onPreferences: () => () => undefined,
    ...partial,
  };
}
