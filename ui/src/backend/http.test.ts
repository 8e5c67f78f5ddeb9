import { afterEach, describe, expect, it, vi } from "vitest";
import type { Event } from "../bindings/Event";
import type { Stats } from "../bindings/Stats";
import { BackendError, isUnauthorized } from "./errors";
import { createHttpBackend } from "./http";

function jsonResponse(body: unknown, status = 200, statusText = "OK"): Response {
  return new Response(JSON.stringify(body), {
    status,
    statusText,
    headers: { "Content-Type": "application/json" },
  });
}

describe("HTTP backend calls", () => {
  it("posts the request to api/rpc and returns the result", async () => {
    const stats: Stats = {
      checks: 3,
      results_stored: 120,
      started_at: "2025-06-01T10:00:00Z",
      version: "0.1.0",
    };
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(jsonResponse(stats));
    const backend = createHttpBackend({ fetch });

    const result = await backend.call<Stats>({ method: "stats" });

    expect(result).toEqual(stats);
    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("api/rpc");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(init?.body as string)).toEqual({ method: "stats" });
    expect(new Headers(init?.headers).get("content-type")).toBe("application/json");
  });

  it("sends params and honours a base URL", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(jsonResponse([]));
    const backend = createHttpBackend({ fetch, baseUrl: "https://ops.example.test/" });

    await backend.call({ method: "check_now", params: { id: "web" } });

    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("https://ops.example.test/api/rpc");
    expect(JSON.parse(init?.body as string)).toEqual({ method: "check_now", params: { id: "web" } });
  });

  it("maps an ApiError body to a BackendError with its code and message", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(jsonResponse({ code: "not_found", message: "no check `nope`" }, 404, "Not Found"));
    const backend = createHttpBackend({ fetch });

    const error = await backend
      .call({ method: "check_detail", params: { id: "nope" } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "not_found", message: "no check `nope`", status: 404 });
  });

  it("keeps the field errors of an invalid_request", async () => {
    const body = {
      code: "invalid_request",
      message: "The check has problems",
      fields: [
        { field: "url", message: "Enter a URL starting with http:// or https://" },
        { field: "", message: "Nothing was saved" },
      ],
    };
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(jsonResponse(body, 400, "Bad Request"));
    const backend = createHttpBackend({ fetch });

    const error = await backend.call({ method: "estate" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "invalid_request", status: 400, fields: body.fields });
  });

  it("has no field errors when the server sends none, or malformed ones", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse({ code: "conflict", message: "changed on disk" }, 409))
      .mockResolvedValueOnce(
        jsonResponse(
          {
            code: "invalid_request",
            message: "bad",
            fields: [{ field: "url" }, "x", { field: "id", message: "taken" }],
          },
          400,
        ),
      );
    const backend = createHttpBackend({ fetch });

    await expect(backend.call({ method: "estate" })).rejects.toMatchObject({ code: "conflict", fields: [] });
    await expect(backend.call({ method: "estate" })).rejects.toMatchObject({
      fields: [{ field: "id", message: "taken" }],
    });
  });

  it("maps an error without an ApiError body to http_error", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(
        new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
      );
    const backend = createHttpBackend({ fetch });

    await expect(backend.call({ method: "overview" })).rejects.toMatchObject({
      code: "http_error",
      message: "HTTP 502 Bad Gateway",
      status: 502,
    });
  });

  it("reports an unreachable server", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockRejectedValue(new TypeError("Failed to fetch"));
    const backend = createHttpBackend({ fetch });

    await expect(backend.call({ method: "overview" })).rejects.toMatchObject({
      code: "unreachable",
      message: "Cannot reach opsdeck: Failed to fetch",
    });
  });

  it("rejects a success answer that is not JSON", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(new Response("<html></html>", { status: 200 }));
    const backend = createHttpBackend({ fetch });

    await expect(backend.call({ method: "overview" })).rejects.toMatchObject({ code: "invalid_response" });
  });
});

describe("HTTP backend session", () => {
  it("sends the session cookie with every call", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(jsonResponse({ name: "ada", role: "admin" }));
    const backend = createHttpBackend({ fetch });

    await backend.call({ method: "session" });

    expect(fetch.mock.calls[0]![1]?.credentials).toBe("same-origin");
  });

  it("maps 401 to unauthorized, with or without an ApiError body", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse({ code: "unauthorized", message: "sign in first" }, 401, "Unauthorized"))
      .mockResolvedValueOnce(new Response("", { status: 401, statusText: "Unauthorized" }))
      .mockResolvedValueOnce(new Response("<html>no</html>", { status: 403, statusText: "Forbidden" }));
    const backend = createHttpBackend({ fetch });

    const first = await backend.call({ method: "overview" }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(BackendError);
    expect(first).toMatchObject({ code: "unauthorized", message: "sign in first", status: 401 });
    expect(isUnauthorized(first)).toBe(true);

    await expect(backend.call({ method: "overview" })).rejects.toMatchObject({
      code: "unauthorized",
      message: "HTTP 401 Unauthorized",
      status: 401,
    });
    await expect(backend.call({ method: "tokens" })).rejects.toMatchObject({ code: "forbidden", status: 403 });
  });

  it("signs in by posting the token to api/session and answers the caller", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValue(jsonResponse({ name: "ada-phone", role: "viewer" }));
    const backend = createHttpBackend({ fetch, baseUrl: "https://ops.example.test/" });

    const caller = await backend.session!.signIn("opsdeck_0123456789abcdef_secret");

    expect(caller).toEqual({ name: "ada-phone", role: "viewer" });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("https://ops.example.test/api/session");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(JSON.parse(init?.body as string)).toEqual({ token: "opsdeck_0123456789abcdef_secret" });
  });

  it("rejects a wrong token as unauthorized and too many as rate_limited with the wait", async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(jsonResponse({ code: "unauthorized", message: "unknown token" }, 401))
      .mockResolvedValueOnce(
        new Response(JSON.stringify({ code: "rate_limited", message: "too many attempts" }), {
          status: 429,
          headers: { "Content-Type": "application/json", "Retry-After": "30" },
        }),
      );
    const backend = createHttpBackend({ fetch });

    await expect(backend.session!.signIn("nope")).rejects.toMatchObject({ code: "unauthorized", status: 401 });
    await expect(backend.session!.signIn("nope")).rejects.toMatchObject({
      code: "rate_limited",
      message: "too many attempts",
      status: 429,
      retryAfter: 30,
    });
  });

  it("signs out with DELETE api/session", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockResolvedValue(new Response(null, { status: 204 }));
    const backend = createHttpBackend({ fetch });

    await backend.session!.signOut();

    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("api/session");
    expect(init?.method).toBe("DELETE");
    expect(init?.credentials).toBe("same-origin");
  });

  it("says so when the server cannot be reached", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>().mockRejectedValue(new TypeError("Failed to fetch"));
    await expect(createHttpBackend({ fetch }).session!.signIn("x")).rejects.toMatchObject({
      code: "unreachable",
    });
  });
});

/** Enough of EventSource to drive the backend by hand. */
class FakeEventSource extends EventTarget {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }

  open() {
    this.readyState = 1;
    this.onopen?.();
  }

  send(kind: string, data: unknown) {
    this.dispatchEvent(
      new MessageEvent(kind, { data: typeof data === "string" ? data : JSON.stringify(data) }),
    );
  }

  fail(permanently: boolean) {
    this.readyState = permanently ? 2 : 0;
    this.onerror?.();
  }

  close() {
    this.readyState = 2;
    this.closed = true;
  }
}

describe("HTTP backend events", () => {
  afterEach(() => {
    FakeEventSource.instances = [];
    vi.useRealTimers();
  });

  const subscribe = () => {
    const events: Event[] = [];
    const live: boolean[] = [];
    const backend = createHttpBackend({
      EventSource: FakeEventSource as unknown as typeof EventSource,
      minRetryMs: 100,
      maxRetryMs: 400,
      staleAfterMs: 45_000,
    });
    const stop = backend.subscribe(
      (e) => events.push(e),
      (l) => live.push(l),
    );
    return { events, live, stop };
  };

  it("delivers named server-sent events", () => {
    const { events, live } = subscribe();
    const es = FakeEventSource.instances[0]!;
    expect(es.url).toBe("api/events");
    es.open();
    const config: Event = { kind: "config", path: "opsdeck.toml", error: "line 3: unknown key" };
    es.send("config", config);
    es.send("transition", {
      kind: "transition",
      transition: { id: "web", from: "up", to: "down", reason: "x", at: "2025-06-01T12:00:00Z" },
    });
    es.send("result", "not json");
    es.send("result", { kind: "something else" });

    expect(live).toEqual([true]);
    expect(events.map((e) => e.kind)).toEqual(["config", "transition"]);
    expect(events[0]).toEqual(config);
  });

  it("reopens a refused stream with backoff and stops when unsubscribed", () => {
    vi.useFakeTimers();
    const { live, stop } = subscribe();
    const first = FakeEventSource.instances[0]!;
    first.open();
    first.fail(true);
    expect(first.closed).toBe(true);
    expect(live).toEqual([true, false]);

    vi.advanceTimersByTime(99);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(2);

    // A transient error is left to the browser's own retry.
    const second = FakeEventSource.instances[1]!;
    second.fail(false);
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.instances).toHaveLength(2);

    stop();
    expect(second.closed).toBe(true);
    second.fail(true);
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("reopens a stream that went silent, and pings keep it open", () => {
    vi.useFakeTimers();
    const { live, stop } = subscribe();
    const first = FakeEventSource.instances[0]!;
    first.open();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(15_000);
      first.send("ping", "");
    }
    expect(FakeEventSource.instances).toHaveLength(1);

    // No ping, no event, no error: the connection died quietly.
    vi.advanceTimersByTime(45_000);
    expect(first.closed).toBe(true);
    expect(live).toEqual([true, false]);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.instances[1]!.open();
    expect(live).toEqual([true, false, true]);
    stop();
  });

  it("reconnects at once when the browser is back online", () => {
    vi.useFakeTimers();
    const { stop } = subscribe();
    const first = FakeEventSource.instances[0]!;
    first.open();
    first.fail(true);
    window.dispatchEvent(new window.Event("online"));
    expect(FakeEventSource.instances).toHaveLength(2);
    stop();
    window.dispatchEvent(new window.Event("online"));
    expect(FakeEventSource.instances).toHaveLength(2);
  });
});
