// HTTP transport: `POST api/rpc` for calls, server-sent events from `GET api/events`.
// URLs are relative to the page, so the UI works wherever the server mounts it.

import type { Event } from "../bindings/Event";
import type { Request } from "../bindings/Request";
import { BackendError, isApiError } from "./errors";
import type { Backend } from "./index";

export interface HttpBackendOptions {
  /** Prefix for API URLs; empty means relative to the page. */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Delay before reopening a closed event stream; doubles up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

const EVENT_KINDS: readonly Event["kind"][] = ["result", "transition", "config"];

export function createHttpBackend(options: HttpBackendOptions = {}): Backend {
  const base = options.baseUrl ? options.baseUrl.replace(/\/+$/, "") + "/" : "";
  const url = (path: string) => base + path;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const minRetry = options.minRetryMs ?? 1000;
  const maxRetry = options.maxRetryMs ?? 30_000;

  async function call<T>(request: Request): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(url("api/rpc"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(request),
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
      if (isApiError(body)) throw new BackendError(body, response.status);
      const message = `HTTP ${response.status} ${response.statusText}`.trim();
      throw new BackendError({ code: "http_error", message }, response.status);
    }
    if (body === undefined) {
      throw new BackendError(
        { code: "invalid_response", message: "The server's answer is not JSON" },
        response.status,
      );
    }
    return body as T;
  }

  function subscribe(onEvent: (e: Event) => void, onLive?: (live: boolean) => void): () => void {
    const Source = options.EventSource ?? globalThis.EventSource;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let delay = minRetry;
    let closed = false;

    const deliver = (message: MessageEvent<string>) => {
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
        onLive?.(true);
      };
      es.onerror = () => {
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
    };

    connect();
    return () => {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      source?.close();
      source = null;
    };
  }

  return { call, subscribe };
}

function isEvent(value: unknown): value is Event {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return typeof kind === "string" && (EVENT_KINDS as readonly string[]).includes(kind);
}
