import { afterEach, describe, expect, it, vi } from "vitest";
import type { Event } from "../bindings/Event";
import { createBackend, sharedEvents, type Backend } from "./index";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) as unknown }));
vi.mock("@tauri-apps/api/event", () => ({ listen: () => Promise.resolve(() => undefined) }));

describe("createBackend", () => {
  afterEach(() => {
    delete window.__TAURI_INTERNALS__;
    vi.unstubAllGlobals();
  });

  it("uses the desktop shell when running inside it", async () => {
    window.__TAURI_INTERNALS__ = {};
    invoke.mockResolvedValue({ ok: true });
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);

    await createBackend().call({ method: "stats" });

    expect(invoke).toHaveBeenCalledWith("rpc", { request: { method: "stats" } });
    expect(fetch).not.toHaveBeenCalled();
  });

  it("uses HTTP otherwise", async () => {
    invoke.mockClear();
    const fetch = vi.fn().mockResolvedValue(new Response("{}", { status: 200 }));
    vi.stubGlobal("fetch", fetch);

    await createBackend().call({ method: "stats" });

    expect(fetch).toHaveBeenCalledWith("api/rpc", expect.objectContaining({ method: "POST" }));
    expect(invoke).not.toHaveBeenCalled();
  });
});

describe("sharedEvents", () => {
  it("keeps one underlying subscription for many listeners", () => {
    let emit: (e: Event) => void = () => undefined;
    const close = vi.fn();
    const subscribe = vi.fn((onEvent: (e: Event) => void, onLive?: (live: boolean) => void) => {
      emit = onEvent;
      onLive?.(true);
      return close;
    });
    const inner: Backend = { call: () => Promise.reject(new Error("unused")), subscribe };
    const shared = sharedEvents(inner);
    const a = vi.fn();
    const b = vi.fn();
    const bLive = vi.fn();

    const stopA = shared.subscribe(a);
    const stopB = shared.subscribe(b, bLive);
    emit({ kind: "config", path: null, error: null });

    expect(subscribe).toHaveBeenCalledTimes(1);
    expect(bLive).toHaveBeenCalledWith(true);
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);

    stopA();
    expect(close).not.toHaveBeenCalled();
    stopB();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
