import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { Event } from "../bindings/Event";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { useLiveResource } from "./useLiveRefresh";

// There is no alert event: alerts open, close and are delivered as a consequence of status
// changes, so those (and results leaving the configuration) are what calls for a fresh look.
const changesAlerts = (event: Event) => event.kind === "transition" || event.kind === "removed";
const changesChannels = (event: Event) => event.kind === "config";

/** The server answers at most this many entries a page. */
const TIMELINE_MAX = 1000;

/** Open alerts, snoozes and deliveries of the whole estate, kept current. */
export function useLiveAlerts(backend: Backend, refreshOn: (event: Event) => boolean = changesAlerts) {
  const load = useMemo(() => api(backend).alerts, [backend]);
  return useLiveResource(backend, "alerts", load, { refreshOn });
}

/** The configured notification channels; they change only with the configuration file. */
export function useChannels(backend: Backend) {
  const load = useMemo(() => api(backend).channels, [backend]);
  return useLiveResource(backend, "channels", load, { refreshOn: changesChannels, pollMs: null });
}

export interface LiveTimeline {
  /** Newest first; null until the first answer. */
  entries: TimelineEntry[] | null;
  error: BackendError | null;
  /** There are older entries than those shown. */
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: BackendError | null;
  loadOlder: () => void;
  reload: () => void;
}

/**
 * The timeline of `id` (a result, or a check with all its results; null for the whole estate),
 * `pageSize` entries at first and a page more with each `loadOlder`. Refreshing keeps as many
 * pages as are shown, so the older entries someone paged to do not vanish.
 */
export function useLiveTimeline(
  backend: Backend,
  id: string | null,
  pageSize: number,
  refreshOn: (event: Event) => boolean = changesAlerts,
): LiveTimeline {
  const client = useMemo(() => api(backend), [backend]);
  const shown = useRef(pageSize);
  const load = useCallback(() => {
    const pages = Math.max(1, Math.ceil(shown.current / pageSize));
    return client.timeline(id, null, Math.min(TIMELINE_MAX, pages * pageSize));
  }, [client, id, pageSize]);
  const timeline = useLiveResource(backend, `timeline:${id ?? ""}:${pageSize}`, load, { refreshOn });
  const { data, update } = timeline;
  const [older, setOlder] = useState<{ loading: boolean; error: BackendError | null }>({
    loading: false,
    error: null,
  });

  useEffect(() => {
    shown.current = Math.max(pageSize, data?.entries.length ?? 0);
  }, [data, pageSize]);

  const before = data?.before ?? null;
  const loadOlder = useCallback(() => {
    if (before === null || older.loading) return;
    setOlder({ loading: true, error: null });
    client.timeline(id, before, pageSize).then(
      (page) => {
        // Appended only onto the page it follows: a refresh in between has its own `before`.
        update((t) => (t.before === before ? { entries: [...t.entries, ...page.entries], before: page.before } : t));
        setOlder({ loading: false, error: null });
      },
      (e: unknown) => setOlder({ loading: false, error: toBackendError(e) }),
    );
  }, [client, id, pageSize, before, older.loading, update]);

  return {
    entries: data?.entries ?? null,
    error: timeline.error,
    hasOlder: before !== null,
    loadingOlder: older.loading,
    olderError: older.error,
    loadOlder,
    reload: timeline.reload,
  };
}
