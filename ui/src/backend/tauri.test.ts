import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Event } from "../bindings/Event";

const invoke = vi.fn();
const unlisten = vi.fn();
let handler: ((e: { payload: Event }) => void) | null = null;
const listen = vi.fn((_name: string, h: (e: { payload: Event }) => void) => {
  handler = h;
  return Promise.resolve(unlisten);
});

vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) as unknown }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, h: (e: { payload: Event }) => void) => listen(name, h),
}));

const { createTauriBackend, EVENT_NAME, PREFERENCES_EVENT } = await import("./tauri");

const NO_SHARING = { enabled: false, listen: "0.0.0.0:7443", tls_cert: null, tls_key: null };
const { BackendError } = await import("./errors");

describe("Tauri backend", () => {
  beforeEach(() => {
    invoke.mockReset();
    unlisten.mockReset();
    listen.mockClear();
    handler = null;
  });

  it("invokes the rpc command with the request", async () => {
    invoke.mockResolvedValue({ checks: 1 });
    const backend = createTauriBackend();

    const result = await backend.call({ method: "history", params: { id: "web", window: "7d" } });

    expect(result).toEqual({ checks: 1 });
    expect(invoke).toHaveBeenCalledWith("rpc", {
      request: { method: "history", params: { id: "web", window: "7d" } },
    });
  });

  it("turns a rejected ApiError into a BackendError", async () => {
    invoke.mockRejectedValue({ code: "not_found", message: "no check `x`" });
    const backend = createTauriBackend();

    const error = await backend
      .call({ method: "check_detail", params: { id: "x" } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "not_found", message: "no check `x`" });
  });

  it("keeps the field errors of a rejected ApiError", async () => {
    const fields = [{ field: "interval", message: "Use a duration such as 30s or 2m" }];
    invoke.mockRejectedValue({ code: "invalid_request", message: "The check has problems", fields });

    const error = await createTauriBackend()
      .call({ method: "remove_check", params: { revision: "r1", id: "web" } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "invalid_request", fields });
  });

  it("turns a plain string rejection into an internal error", async () => {
    invoke.mockRejectedValue("command rpc not found");
    await expect(createTauriBackend().call({ method: "stats" })).rejects.toMatchObject({
      code: "internal",
      message: "command rpc not found",
    });
  });

  it("reads and stores the desktop preferences and restarts through the shell", async () => {
    const prefs = { start_with_os: true, notifications: false, muted_until: null, sharing: NO_SHARING };
    const desktop = createTauriBackend().desktop!;

    invoke.mockResolvedValueOnce(prefs);
    expect(await desktop.preferences()).toEqual(prefs);
    expect(invoke).toHaveBeenLastCalledWith("desktop_preferences");

    invoke.mockResolvedValueOnce({ ...prefs, notifications: true });
    expect(await desktop.setPreferences({ ...prefs, notifications: true })).toEqual({
      ...prefs,
      notifications: true,
    });
    expect(invoke).toHaveBeenLastCalledWith("set_desktop_preferences", {
      preferences: { ...prefs, notifications: true },
    });

    invoke.mockResolvedValueOnce(undefined);
    await desktop.restart();
    expect(invoke).toHaveBeenLastCalledWith("restart");
  });

  it("asks the shell whether the console is shared", async () => {
    const desktop = createTauriBackend().desktop!;
    const shared = {
      listening: "https://0.0.0.0:7443/",
      suggested_url: "https://desk-42.example.com:7443",
      error: null,
    };
    invoke.mockResolvedValueOnce(shared);
    expect(await desktop.sharingStatus()).toEqual(shared);
    expect(invoke).toHaveBeenLastCalledWith("sharing_status");
    expect(invoke.mock.lastCall).toHaveLength(1);

    invoke.mockRejectedValueOnce("command sharing_status not found");
    const error = await desktop.sharingStatus().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "internal", message: "command sharing_status not found" });
  });

  it("rejects a failed desktop command with a BackendError", async () => {
    invoke.mockRejectedValue("command set_desktop_preferences not found");
    const error = await createTauriBackend()
      .desktop!.setPreferences({ start_with_os: false, notifications: true, muted_until: null, sharing: NO_SHARING })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "internal", message: "command set_desktop_preferences not found" });
  });

  it("listens to engine events and stops listening on unsubscribe", async () => {
    const events: Event[] = [];
    const live = vi.fn();
    const stop = createTauriBackend().subscribe((e) => events.push(e), live);
    expect(listen).toHaveBeenCalledWith(EVENT_NAME, expect.any(Function));
    expect(EVENT_NAME).toBe("opsdeck://event");

    await vi.waitFor(() => expect(live).toHaveBeenCalledWith(true));
    handler?.({ payload: { kind: "config", path: null, error: null } });
    expect(events).toEqual([{ kind: "config", path: null, error: null }]);

    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
  });

  it("unlistens even when unsubscribed before listening started", async () => {
    const stop = createTauriBackend().subscribe(() => undefined);
    stop();
    await vi.waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });

  it("follows preference changes made in the shell", async () => {
    const seen: unknown[] = [];
    const stop = createTauriBackend().desktop!.onPreferences((p) => seen.push(p));
    expect(listen).toHaveBeenCalledWith(PREFERENCES_EVENT, expect.any(Function));
    expect(PREFERENCES_EVENT).toBe("opsdeck://preferences");
    const prefs = {
      start_with_os: false,
      notifications: true,
      muted_until: "2099-01-01T00:00:00Z",
      sharing: NO_SHARING,
    };
    (handler as unknown as (e: { payload: unknown }) => void)({ payload: prefs });
    expect(seen).toEqual([prefs]);
    stop();
    await vi.waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });
});
