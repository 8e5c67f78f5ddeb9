import { useCallback, useEffect, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { QueueRow } from "../bindings/QueueRow";
import { mergeResults, sortQueues } from "./queues";

export interface LiveQueues {
  /** Every queue, trouble first; null until the first answer. */
  rows: QueueRow[] | null;
  /** The last fetch failed; `rows` still holds the previous list, if any. */
  error: BackendError | null;
  reload: () => void;
}

/** Coalesces bursts of events that call for a full fetch. */
const REFETCH_DELAY_MS = 300;
/**
 * A broker's poll yields one result per queue, all at once: apply them together rather than
 * re-render the list for each.
 */
const MERGE_DELAY_MS = 100;
/**
 * The order by depth and the server's sparklines come only with a full fetch: refresh them now
 * and then. Not often: results keep every row current, and a list of hundreds is not small.
 */
const POLL_MS = 2 * 60_000;

// The last list per backend, so that coming back to the page (from a queue's page) shows it
// at once, with the link just left there to take the focus, while a fresh one is fetched.
const lastLists = new WeakMap<Backend, QueueRow[]>();

/**
 * The queue list, kept current by the event stream: results of RabbitMQ checks replace their
 * rows in place; `removed`, `config` and the queues' `transition` events (and reconnects,
 * which may have missed events) fetch the list again.
 */
export function useLiveQueues(backend: Backend): LiveQueues {
  const [rows, setRows] = useState<QueueRow[] | null>(() => lastLists.get(backend) ?? null);
  const [error, setError] = useState<BackendError | null>(null);
  const reloadRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    const client = api(backend);
    let disposed = false;
    let current: QueueRow[] | null = lastLists.get(backend) ?? null;
    let generation = 0;
    // Results that arrived while a fetch was in flight, replayed onto its answer.
    let inFlight: CheckView[] | null = null;
    let pending = new Map<string, CheckView>();
    let mergeTimer: ReturnType<typeof setTimeout> | null = null;
    let refetchTimer: ReturnType<typeof setTimeout> | null = null;
    let wasLive = false;
    let missed = false;

    const publish = (next: QueueRow[]) => {
      current = next;
      lastLists.set(backend, next);
      setRows(next);
    };

    const load = () => {
      const mine = ++generation;
      const replay: CheckView[] = [];
      inFlight = replay;
      client.queues().then(
        (list) => {
          if (disposed || mine !== generation) return;
          inFlight = null;
          publish(mergeResults(sortQueues(list.queues), replay).rows);
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

    const flush = () => {
      mergeTimer = null;
      const results = pending.values();
      pending = new Map();
      if (current === null) return; // the first answer replays them
      const merged = mergeResults(current, results);
      if (merged.rows !== current) publish(merged.rows);
      if (merged.missing) refetchSoon();
    };

    load();
    reloadRef.current = load;

    const unsubscribe = backend.subscribe(
      (event) => {
        switch (event.kind) {
          case "result": {
            if (event.check.type !== "rabbitmq") return;
            inFlight?.push(event.check);
            pending.set(event.check.id, event.check);
            mergeTimer ??= setTimeout(flush, MERGE_DELAY_MS);
            return;
          }
          case "transition": {
            const id = event.transition.id;
            if (current?.some((r) => r.check.id === id)) refetchSoon();
            return;
          }
          case "config":
          case "removed":
            refetchSoon();
            return;
        }
      },
      (isLive) => {
        if (disposed) return;
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
      if (mergeTimer !== null) clearTimeout(mergeTimer);
    };
  }, [backend]);

  const reload = useCallback(() => reloadRef.current(), []);
  return { rows, error, reload };
}
