import { afterEach, describe, expect, it, vi } from "vitest";
import type { Event } from "../bindings/Event";
import type { CheckForm } from "../bindings/CheckForm";
import type { Request } from "../bindings/Request";
import { newCheckForm } from "../lib/estateForm";
import { api, createBackend, sharedEvents, type Backend } from "./index";

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

  it("offers desktop controls only inside the desktop shell", () => {
    expect(createBackend().desktop).toBeUndefined();
    window.__TAURI_INTERNALS__ = {};
    expect(createBackend().desktop).toBeDefined();
  });

  it("offers a sign-in only in a browser", () => {
    expect(createBackend().session).toBeDefined();
    window.__TAURI_INTERNALS__ = {};
    expect(createBackend().session).toBeUndefined();
  });
});

describe("api", () => {
  const form: CheckForm = {
    ...newCheckForm("prod"),
    id: "web",
    name: "Website",
    url: "https://www.example.test/",
  };

  it("sends the settings methods with their params", async () => {
    const sent: Request[] = [];
    const backend: Backend = {
      call: <T,>(req: Request) => {
        sent.push(req);
        return Promise.resolve({} as T);
      },
      subscribe: () => () => undefined,
    };
    const client = api(backend);

    await client.about();
    await client.estate();
    await client.createEstate();
    await client.saveCheck("r1", null, form);
    await client.removeCheck("r2", "web");
    await client.saveEnvironment("r3", "prod", { id: "live", name: "Live", order: 1 });
    await client.removeEnvironment("r4", "live");

    expect(sent).toEqual([
      { method: "about" },
      { method: "estate" },
      { method: "create_estate" },
      { method: "save_check", params: { revision: "r1", original_id: null, check: form } },
      { method: "remove_check", params: { revision: "r2", id: "web" } },
      {
        method: "save_environment",
        params: { revision: "r3", original_id: "prod", environment: { id: "live", name: "Live", order: 1 } },
      },
      { method: "remove_environment", params: { revision: "r4", id: "live" } },
    ]);
  });

  it("sends the session, credential and token methods with their params", async () => {
    const sent: Request[] = [];
    const backend: Backend = {
      call: <T,>(req: Request) => {
        sent.push(req);
        return Promise.resolve({} as T);
      },
      subscribe: () => () => undefined,
    };
    const client = api(backend);

    await client.session();
    await client.credentials();
    await client.setCredential("payments-password", "s3cret");
    await client.deleteCredential("payments-password");
    await client.testCredential("payments-password");
    await client.tokens();
    await client.createToken("ada-phone", "viewer");
    await client.revokeToken("ada-phone");

    expect(sent).toEqual([
      { method: "session" },
      { method: "credentials" },
      { method: "set_credential", params: { name: "payments-password", value: "s3cret" } },
      { method: "delete_credential", params: { name: "payments-password" } },
      { method: "test_credential", params: { name: "payments-password" } },
      { method: "tokens" },
      { method: "create_token", params: { name: "ada-phone", role: "viewer" } },
      { method: "revoke_token", params: { name: "ada-phone" } },
    ]);
  });

  it("sends the Epicor methods with their params", async () => {
    const sent: Request[] = [];
    const backend: Backend = {
      call: <T,>(req: Request) => {
        sent.push(req);
        return Promise.resolve({} as T);
      },
      subscribe: () => () => undefined,
    };
    const client = api(backend);

    await client.epicorEnvironments();
    await client.epicorRefresh("erp-live");
    await client.epicorRefresh();

    expect(sent).toEqual([
      { method: "epicor_environments" },
      { method: "epicor_refresh", params: { id: "erp-live" } },
      { method: "epicor_refresh", params: { id: null } },
    ]);
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
    expect(shared.desktop).toBeUndefined();
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

  it("keeps the desktop controls of the transport", () => {
    const desktop = {
      preferences: vi.fn(),
      setPreferences: vi.fn(),
      restart: vi.fn(),
      sharingStatus: vi.fn(),
      onPreferences: vi.fn(),
    };
    const inner: Backend = {
      call: () => Promise.reject(new Error("unused")),
      subscribe: () => () => undefined,
      desktop,
    };
    expect(sharedEvents(inner).desktop).toBe(desktop);
  });

  it("keeps the session controls of the transport", () => {
    const session = { signIn: vi.fn(), signOut: vi.fn() };
    const inner: Backend = {
      call: () => Promise.reject(new Error("unused")),
      subscribe: () => () => undefined,
      session,
    };
    expect(sharedEvents(inner).session).toBe(session);
    expect(sharedEvents({ ...inner, session: undefined }).session).toBeUndefined();
  });
});
