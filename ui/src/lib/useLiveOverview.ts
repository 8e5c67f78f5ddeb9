import { useCallback, useEffect, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { Overview } from "../bindings/Overview";
import { applyResult } from "./overview";

export interface LiveOverview {
  overview: Overview | null;
  /** The last fetch failed; `overview` still holds the previous data, if any. */
  error: BackendError | null;
  /** The event stream is connected. */
  live: boolean;
  reload: () => void;
}

/** Coalesces bursts of events that call for a full fetch. */
const REFETCH_DELAY_MS = 300;
/** Uptime and ordering come only with a full fetch: refresh them now and then. */
const POLL_MS = 5 * 60_000;

/**
 * The overview, kept current by the event stream: a `result` event replaces its check in
 * place; `config` and `transition` events (and reconnects, which may have missed events)
 * fetch the overview again.
 */
export function useLiveOverview(backend: Backend): LiveOverview {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [live, setLive] = useState(false);
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    const client = api(backend);
    let disposed = false;
    let current: Overview | null = null;
    let generation = 0;
    // Results that arrived while a fetch was in flight, replayed onto its answer.
    let inFlight: CheckView[] | null = null;
    let refetchTimer: ReturnType<typeof setTimeout> | null = null;
    let wasLive = false;
    let missed = false;

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
          publish(next);
          setError(null);
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
            refetchSoon();
            return;
        }
      },
      (isLive) => {
        setLive(isLive);
        if (!isLive && wasLive) missed = true;
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
    };
  }, [backend]);

  const reload = useCallback(() => reloadRef.current(), []);
  return { overview, error, live, reload };
}
