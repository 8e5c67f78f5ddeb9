import { useCallback, useEffect, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { Overview } from "../bindings/Overview";
import { applyResult } from "./overview";

/**
 * The event stream: not connected yet (`connecting`), connected (`live`), or dropped after
 * having been connected (`lost`), in which case the transport is reconnecting.
 */
export type Connection = "connecting" | "live" | "lost";

export interface LiveOverview {
  overview: Overview | null;
  /** The last fetch failed; `overview` still holds the previous data, if any. */
  error: BackendError | null;
  /** The event stream is connected. */
  live: boolean;
  connection: Connection;
  /**
   * When data last arrived from the engine (ms), as of the last fetch or the moment the
   * stream dropped; not refreshed on every event, so that events do not re-render the page.
   */
  lastDataAt: number | null;
  reload: () => void;
}

/** Coalesces bursts of events that call for a full fetch. */
const REFETCH_DELAY_MS = 300;
/** Uptime and ordering come only with a full fetch: refresh them now and then. */
const POLL_MS = 5 * 60_000;
/**
 * Checks that have results but no 24-hour uptime yet (the engine rolls results up every half
 * minute after a start): fetch again this soon rather than show "—" until the next poll.
 */
const UPTIME_PENDING_MS = 20_000;

function uptimePending(overview: Overview): boolean {
  return overview.environments.some((env) =>
    env.checks.some((c) => c.checked_at !== null && overview.uptime_24h[c.id] === undefined),
  );
}

/**
 * The overview, kept current by the event stream: a `result` event replaces its check in
 * place; `config` and `transition` events (and reconnects, which may have missed events)
 * fetch the overview again.
 */
export function useLiveOverview(backend: Backend): LiveOverview {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [lastDataAt, setLastDataAt] = useState<number | null>(null);
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    const client = api(backend);
    let disposed = false;
    let current: Overview | null = null;
    let generation = 0;
    // Results that arrived while a fetch was in flight, replayed onto its answer.
    let inFlight: CheckView[] | null = null;
    let refetchTimer: ReturnType<typeof setTimeout> | null = null;
    let uptimeTimer: ReturnType<typeof setTimeout> | null = null;
    let wasLive = false;
    let missed = false;
    let receivedAt: number | null = null;
    const received = () => {
      receivedAt = Date.now();
    };

    const publish = (next: Overview) => {
      current = next;
      setOverview(next);
    };

    const load = () => {
      const mine = ++generation;
      inFlight = [];
      client.overview().then(
        (fresh) => {
          if (disposed || mine !== generation) return;
          let next = fresh;
          for (const check of inFlight ?? []) next = applyResult(next, check) ?? next;
          inFlight = null;
          received();
          setLastDataAt(receivedAt);
          publish(next);
          setError(null);
          if (uptimeTimer === null && uptimePending(next)) {
            uptimeTimer = setTimeout(() => {
              uptimeTimer = null;
              load();
            }, UPTIME_PENDING_MS);
          }
        },
        (e: unknown) => {
          if (disposed || mine !== generation) return;
          inFlight = null;
          setError(toBackendError(e));
        },
      );
    };

    const refetchSoon = () => {
      if (refetchTimer !== null) return;
      refetchTimer = setTimeout(() => {
        refetchTimer = null;
        load();
      }, REFETCH_DELAY_MS);
    };

    load();
    reloadRef.current = load;

    const unsubscribe = backend.subscribe(
      (event) => {
        received();
        switch (event.kind) {
          case "result": {
            inFlight?.push(event.check);
            if (current === null) return;
            const next = applyResult(current, event.check);
            if (next === null) refetchSoon();
            else if (next !== current) publish(next);
            return;
          }
          case "transition":
          case "config":
          case "removed":
            refetchSoon();
            return;
        }
      },
      (isLive) => {
        if (disposed) return;
        if (!isLive && wasLive) {
          missed = true;
          setLastDataAt(receivedAt);
        }
        setConnection(isLive ? "live" : wasLive ? "lost" : "connecting");
        if (isLive) {
          wasLive = true;
          if (missed) {
            missed = false;
            refetchSoon();
          }
        }
      },
    );
    const poll = setInterval(load, POLL_MS);

    return () => {
      disposed = true;
      unsubscribe();
      clearInterval(poll);
      if (refetchTimer !== null) clearTimeout(refetchTimer);
      if (uptimeTimer !== null) clearTimeout(uptimeTimer);
    };
  }, [backend]);

  const reload = useCallback(() => reloadRef.current(), []);
  return { overview, error, live: connection === "live", connection, lastDataAt, reload };
}
