import { useCallback, useEffect, useRef, useState } from "react";
import { toBackendError, type Backend, type BackendError } from "../backend";
import type { Event } from "../bindings/Event";

/**
 * Events come in bursts (a broker's poll, an outage taking several services down): one fetch
 * a second at most, and a second later the engine has usually decided on the whole burst.
 */
export const REFRESH_DELAY_MS = 1000;
/** Data that no event announces (deliveries, reminders, snoozes running out) is polled. */
export const POLL_MS = 15_000;

export interface LiveRefreshOptions {
  /** Which events call for a fetch; none by default. */
  refreshOn?: (event: Event) => boolean;
  /** Fetch this often while the page is visible; null for never. */
  pollMs?: number | null;
}

const visible = () => typeof document === "undefined" || document.visibilityState !== "hidden";

/**
 * Calls `refresh` when the data it fetches may have changed: a second after the events
 * `refreshOn` picks, after the event stream comes back from a drop (events may have been
 * missed), every `pollMs` while the page is visible, and when the page becomes visible again.
 * For data the events do not carry, unlike `useLiveOverview`, which applies results in place.
 */
export function useLiveRefresh(backend: Backend, refresh: () => void, options: LiveRefreshOptions = {}) {
  const { pollMs = POLL_MS } = options;
  // The newest callbacks, without subscribing again each time the caller re-renders.
  const latest = useRef({ refresh, refreshOn: options.refreshOn });
  useEffect(() => {
    latest.current = { refresh, refreshOn: options.refreshOn };
  });

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let wasLive = false;
    let missed = false;

    const refreshSoon = () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        latest.current.refresh();
      }, REFRESH_DELAY_MS);
    };

    const unsubscribe = backend.subscribe(
      (event) => {
        if (latest.current.refreshOn?.(event)) refreshSoon();
      },
      (isLive) => {
        if (!isLive && wasLive) missed = true;
        if (!isLive) return;
        wasLive = true;
        if (missed) {
          missed = false;
          refreshSoon();
        }
      },
    );
    const poll =
      pollMs === null
        ? null
        : setInterval(() => {
            if (visible()) latest.current.refresh();
          }, pollMs);
    // A tab in the background is not polled; coming back, it catches up at once.
    const onVisibility = () => {
      if (visible()) refreshSoon();
    };
    document.addEventListener("visibilitychange", onVisibility);

    return () => {
      unsubscribe();
      if (poll !== null) clearInterval(poll);
      if (timer !== null) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [backend, pollMs]);
}

export interface LiveResource<T> {
  /** Null until the first answer. */
  data: T | null;
  /** The last fetch failed; `data` still holds the previous answer, if any. */
  error: BackendError | null;
  /** Fetches now, e.g. right after an action that changed the data. */
  reload: () => void;
  /**
   * Changes the data without fetching (e.g. appends an older page). A fetch already under way
   * is dropped, as it was asked for the data before the change.
   */
  update: (change: (data: T) => T) => void;
}

// The last answer per backend and key, so that coming back to a page (from a check's page)
// shows it at once, with the link just left there to take the focus, while a fresh one is
// fetched.
const lastAnswers = new WeakMap<Backend, Map<string, unknown>>();

function remember(backend: Backend, key: string, data: unknown) {
  let answers = lastAnswers.get(backend);
  if (answers === undefined) {
    answers = new Map();
    lastAnswers.set(backend, answers);
  }
  answers.set(key, data);
}

/**
 * The answer of `load`, fetched at once and again as `useLiveRefresh` says. `key` names what
 * `load` fetches (e.g. `alerts`), for showing the last answer while the first one is awaited.
 */
export function useLiveResource<T>(
  backend: Backend,
  key: string,
  load: () => Promise<T>,
  options: LiveRefreshOptions = {},
): LiveResource<T> {
  const [data, setData] = useState<T | null>(() => (lastAnswers.get(backend)?.get(key) as T | undefined) ?? null);
  const [error, setError] = useState<BackendError | null>(null);
  // Only the answer to the newest request is used: an older one may arrive last.
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    load().then(
      (fresh) => {
        if (mine !== generation.current) return;
        remember(backend, key, fresh);
        setData(fresh);
        setError(null);
      },
      (e: unknown) => {
        if (mine === generation.current) setError(toBackendError(e));
      },
    );
  }, [backend, key, load]);

  useEffect(() => {
    reload();
    return () => {
      generation.current += 1;
    };
  }, [reload]);

  useLiveRefresh(backend, reload, options);

  const update = useCallback(
    (change: (data: T) => T) => {
      generation.current += 1;
      setData((d) => {
        if (d === null) return d;
        const next = change(d);
        remember(backend, key, next);
        return next;
      });
    },
    [backend, key],
  );

  return { data, error, reload, update };
}
