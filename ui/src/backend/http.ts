// HTTP transport: `POST api/rpc` for calls, server-sent events from `GET api/events`, and the
// session (`POST` / `DELETE api/session`) that sets and clears the sign-in cookie.
// URLs are relative to the page, so the UI works wherever the server mounts it.

import type { Caller } from "../bindings/Caller";
import type { Event } from "../bindings/Event";
import type { Request } from "../bindings/Request";
import { BackendError, codeForStatus, isApiError } from "./errors";
import type { Backend, SessionControls } from "./index";

export interface HttpBackendOptions {
  /** Prefix for API URLs; empty means relative to the page. */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Delay before reopening a closed event stream; doubles up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** An event stream silent for this long (no event, no `ping`) is reopened. */
  staleAfterMs?: number;
}

const EVENT_KINDS: readonly Event["kind"][] = ["result", "transition", "config", "removed"];

export function createHttpBackend(options: HttpBackendOptions = {}): Backend {
  const base = options.baseUrl ? options.baseUrl.replace(/\/+$/, "") + "/" : "";
  const url = (path: string) => base + path;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const minRetry = options.minRetryMs ?? 1000;
  const maxRetry = options.maxRetryMs ?? 30_000;
  // Three missed pings (the server sends one every 15 s).
  const staleAfter = options.staleAfterMs ?? 45_000;

  /**
   * One request to the API, with the session cookie (`same-origin`: the cookie is HttpOnly and
   * SameSite=Strict, so it is only ever sent to the server this page came from). Resolves with
   * the JSON body, or `undefined` for an empty one; rejects with a `BackendError`.
   */
  async function send(path: string, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await doFetch(url(path), {
        ...init,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
      });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new BackendError({ code: "unreachable", message: `Cannot reach opsdeck: ${reason}` });
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!response.ok) {
      const retryAfter = readRetryAfter(response.headers.get("Retry-After"));
      if (isApiError(body)) throw new BackendError(body, response.status, retryAfter);
      const message = `HTTP ${response.status} ${response.statusText}`.trim();
      throw new BackendError({ code: codeForStatus(response.status), message }, response.status, retryAfter);
    }
    if (body === undefined && text !== "") {
      throw new BackendError(
        { code: "invalid_response", message: "The server's answer is not JSON" },
        response.status,
      );
    }
    return body;
  }

  async function call<T>(request: Request): Promise<T> {
    const body = await send("api/rpc", { method: "POST", body: JSON.stringify(request) });
    if (body === undefined) {
      throw new BackendError({ code: "invalid_response", message: "The server's answer is not JSON" });
    }
    return body as T;
  }

  const session: SessionControls = {
    async signIn(token) {
      const body = await send("api/session", { method: "POST", body: JSON.stringify({ token }) });
      if (!isCaller(body)) {
        throw new BackendError({ code: "invalid_response", message: "The server's answer is not a session" });
      }
      return body;
    },
    async signOut() {
      await send("api/session", { method: "DELETE" });
    },
  };

  function subscribe(onEvent: (e: Event) => void, onLive?: (live: boolean) => void): () => void {
    const Source = options.EventSource ?? globalThis.EventSource;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = minRetry;
    let closed = false;
    let watchdog: ReturnType<typeof setTimeout> | null = null;

    // The server sends a `ping` every 15 s. A connection that died without an error (a laptop
    // that slept, a VPN or proxy that dropped it) delivers nothing: after `staleAfter` of
    // silence it is given up and opened again.
    const feedWatchdog = () => {
      if (watchdog !== null) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        watchdog = null;
        if (closed) return;
        source?.close();
        onLive?.(false);
        connect();
      }, staleAfter);
    };

    const deliver = (message: MessageEvent<string>) => {
      feedWatchdog();
      let event: unknown;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (isEvent(event)) onEvent(event);
    };

    const connect = () => {
      retry = null;
      if (closed) return;
      const es = new Source(url("api/events"));
      source = es;
      es.onopen = () => {
        delay = minRetry;
        feedWatchdog();
        onLive?.(true);
      };
      es.onerror = () => {
        // Errors are followed by a retry (the browser's or ours), which feeds it again.
        if (watchdog !== null) clearTimeout(watchdog);
        watchdog = null;
        onLive?.(false);
        // The browser retries by itself unless the stream was refused (CLOSED): then we do.
        if (es.readyState === 2 && !closed) {
          es.close();
          retry = setTimeout(connect, delay);
          delay = Math.min(delay * 2, maxRetry);
        }
      };
      for (const kind of EVENT_KINDS) es.addEventListener(kind, deliver);
      es.addEventListener("message", deliver);
      es.addEventListener("ping", feedWatchdog);
    };

    // Back on the network: do not wait for the backoff.
    const online = () => {
      if (closed || source?.readyState === 1) return;
      if (retry !== null) clearTimeout(retry);
      source?.close();
      delay = minRetry;
      connect();
    };
    globalThis.addEventListener?.("online", online);

    connect();
    return () => {
      closed = true;
      globalThis.removeEventListener?.("online", online);
      if (watchdog !== null) clearTimeout(watchdog);
      if (retry !== null) clearTimeout(retry);
      source?.close();
      source = null;
    };
  }

  return { call, subscribe, session };
}

function isEvent(value: unknown): value is Event {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === "string" && (EVENT_KINDS as readonly string[]).includes(kind);
}

const ROLES: readonly string[] = ["viewer", "operator", "approver", "admin"];

function isCaller(value: unknown): value is Caller {
  if (typeof value !== "object" || value === null) return false;
  const { name, role } = value as Record<string, unknown>;
  return typeof name === "string" && typeof role === "string" && ROLES.includes(role);
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date. */
function readRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
