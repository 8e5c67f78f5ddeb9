// Paging back through a newest-first list that is also refreshed live (the alert timeline, the
// CAB audit log): each older page is appended onto the page it follows, and only onto that one.

import { useCallback, useState } from "react";
import { toBackendError, type BackendError } from "../backend";

/** A page of a newest-first list: its entries, and where the next (older) page starts. */
export interface Page<E, B> {
  entries: E[];
  before: B | null;
}

export interface OlderPages {
  /** There are older entries than those shown. */
  hasOlder: boolean;
  loadingOlder: boolean;
  olderError: BackendError | null;
  loadOlder: () => void;
}

/**
 * `loadOlder` fetches the page before the shown one with `fetchOlder` and appends it through
 * `update`; a refresh that arrived in between has its own `before`, and is left alone.
 */
export function useOlderPages<E, B>(
  data: Page<E, B> | null,
  update: (change: (page: Page<E, B>) => Page<E, B>) => void,
  fetchOlder: (before: B) => Promise<Page<E, B>>,
): OlderPages {
  const [older, setOlder] = useState<{ loading: boolean; error: BackendError | null }>({
    loading: false,
    error: null,
  });
  const before = data?.before ?? null;
  const loadOlder = useCallback(() => {
    if (before === null || older.loading) return;
    setOlder({ loading: true, error: null });
    fetchOlder(before).then(
      (page) => {
        update((p) => (p.before === before ? { entries: [...p.entries, ...page.entries], before: page.before } : p));
        setOlder({ loading: false, error: null });
      },
      (e: unknown) => setOlder({ loading: false, error: toBackendError(e) }),
    );
  }, [before, older.loading, fetchOlder, update]);
  return { hasOlder: before !== null, loadingOlder: older.loading, olderError: older.error, loadOlder };
}
