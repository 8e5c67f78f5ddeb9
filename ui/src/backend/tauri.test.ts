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

const { createTauriBackend, EVENT_NAME } = await import("./tauri");
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

  it("turns a plain string rejection into an internal error", async () => {
    invoke.mockRejectedValue("command rpc not found");
    await expect(createTauriBackend().call({ method: "stats" })).rejects.toMatchObject({
      code: "internal",
      message: "command rpc not found",
    });
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
});
