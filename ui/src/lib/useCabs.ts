// Data of the CAB page. The board and a CAB's versions are read from Bitbucket (many requests
// each), so they are not polled: they are fetched when the page opens, when it becomes visible
// again, after every action, and with the page's Refresh button. The audit log is local.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, toBackendError, type Backend, type BackendError } from "../backend";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { Board } from "../bindings/Board";
import type { CabDetail } from "../bindings/CabDetail";
import { useLiveRefresh, useLiveResource } from "./useLiveRefresh";
import { useOlderPages } from "./useOlderPages";

export interface Loaded<T> {
  /** Null until the first answer; kept when a later fetch fails. */
  data: T | null;
  /** The last fetch failed. */
  error: BackendError | null;
  /** Fetches again; resolves with whether that worked. */
  reload: () => Promise<boolean>;
  /** A reload started from the page (its Refresh button) is under way. */
  refreshing: boolean;
  /** Like `reload`, and shows it under way (`refreshing`). */
  refresh: () => Promise<boolean>;
}

/** The answer of `load`, fetched at once and whenever the page comes back into view. */
function useLoaded<T>(backend: Backend, load: () => Promise<T>): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: BackendError | null }>({ data: null, error: null });
  const [refreshing, setRefreshing] = useState(false);
  // Only the answer to the newest request is used: an older one may arrive last.
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null });
      return true;
    } catch (e) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error: toBackendError(e) }));
      return false;
    }
  }, [load]);

  useEffect(() => {
    void reload();
    return () => {
      generation.current += 1;
    };
  }, [reload]);

  useLiveRefresh(
    backend,
    useCallback(() => void reload(), [reload]),
    { pollMs: null },
  );

  const refresh = useCallback(async () => {
    setRefreshing(true);
    try {
      return await reload();
    } finally {
      setRefreshing(false);
    }
  }, [reload]);

  return { ...state, reload, refreshing, refresh };
}

/** Every CAB as a pipeline, with the environments and what the Bitbucket account may do. */
export function useCabBoard(backend: Backend): Loaded<Board> {
  const load = useMemo(() => api(backend).cabBoard, [backend]);
  return useLoaded(backend, load);
}

/** One CAB with its versions, newest first. */
export function useCabDetail(backend: Backend, name: string): Loaded<CabDetail> {
  const load = useCallback(() => api(backend).cabDetail(name), [backend, name]);
  return useLoaded(backend, load);
}

export interface CabAudit {
  /** Newest first; null until the first answer. */
  entries: AuditEntry[] | null;
  error: BackendError | null;
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: BackendError | null;
  loadOlder: () => void;
  reload: () => void;
}

/** The server answers at most this many entries a page. */
const AUDIT_MAX = 1000;

/**
 * The audit log (of the CAB at `path`, or all of it for null), `pageSize` entries at first and a
 * page more with each `loadOlder`. A reload keeps as many entries as are shown.
 */
export function useCabAudit(backend: Backend, path: string | null, pageSize: number): CabAudit {
  const client = useMemo(() => api(backend), [backend]);
  const shown = useRef(pageSize);
  const load = useCallback(
    () => client.cabAudit(path, null, Math.min(AUDIT_MAX, Math.max(pageSize, shown.current))),
    [client, path, pageSize],
  );
  const audit = useLiveResource(backend, `cab_audit:${path ?? ""}:${pageSize}`, load, { pollMs: null });
  const { data, update } = audit;

  useEffect(() => {
    shown.current = Math.max(pageSize, data?.entries.length ?? 0);
  }, [data, pageSize]);

  const fetchOlder = useCallback((before: number) => client.cabAudit(path, before, pageSize), [client, path, pageSize]);
  const older = useOlderPages(data, update, fetchOlder);

  return {
    entries: data?.entries ?? null,
    error: audit.error,
    ...older,
    reload: audit.reload,
  };
}
