// Data of the Environments page: every Epicor environment as its last check left it, and the
// comparison between them. Fetched again when an Epicor check's result says something new, when
// the configuration changes, and every few minutes so that times and backup ages keep up.

import { useCallback, useEffect, useMemo, useRef } from "react";
import { api, type Backend } from "../backend";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { Event } from "../bindings/Event";
import { changesEpicorPage } from "./epicor";
import { useLiveResource, type LiveResource } from "./useLiveRefresh";

/** Results bring news as it happens; the poll only keeps the rest of the page from ageing. */
export const EPICOR_POLL_MS = 3 * 60_000;

export interface EpicorData extends LiveResource<EpicorPage> {
  /**
   * Inspects one environment (by id), or all of them for null, now, and shows the answer.
   * Rejects with the `BackendError` when that fails; the page shown stays as it was.
   */
  refresh: (id: string | null) => Promise<EpicorPage>;
}

export function useEpicorPage(backend: Backend): EpicorData {
  const client = useMemo(() => api(backend), [backend]);
  const shown = useRef<EpicorPage | null>(null);
  const refreshOn = useCallback((event: Event) => changesEpicorPage(event, shown.current), []);
  const page = useLiveResource(backend, "epicor", client.epicorEnvironments, {
    refreshOn,
    pollMs: EPICOR_POLL_MS,
  });
  const { data, update } = page;

  useEffect(() => {
    shown.current = data;
  }, [data]);

  const refresh = useCallback(
    async (id: string | null) => {
      const fresh = await client.epicorRefresh(id);
      update(() => fresh);
      return fresh;
    },
    [client, update],
  );

  return { ...page, refresh };
}
