import { useCallback, useEffect, useMemo, useRef } from "react";
import { api, type Backend, type BackendError } from "../backend";
import type { Event } from "../bindings/Event";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { useLiveResource } from "./useLiveRefresh";
import { useOlderPages } from "./useOlderPages";

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

  useEffect(() => {
    shown.current = Math.max(pageSize, data?.entries.length ?? 0);
  }, [data, pageSize]);

  const fetchOlder = useCallback((before: string) => client.timeline(id, before, pageSize), [client, id, pageSize]);
  const older = useOlderPages(data, update, fetchOlder);

  return {
    entries: data?.entries ?? null,
    error: timeline.error,
    ...older,
    reload: timeline.reload,
  };
}
