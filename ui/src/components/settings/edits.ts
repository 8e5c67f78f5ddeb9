import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import type { BackendError } from "../../backend";
import type { EstateFile } from "../../bindings/EstateFile";

/** What the settings page lends its sections for changing the estate. */
export interface EstateEdits {
  /**
   * Applies one edit to the newest revision the page has; resolves with null once the engine
   * has it, else with the error (nothing was written then).
   */
  change(
    edit: (revision: string) => Promise<EstateFile>,
    progress: string,
    done: string,
  ): Promise<BackendError | null>;
  /** Loads the file again, e.g. after a conflict; resolves with whether that worked. */
  reload(): Promise<boolean>;
  /** Says something in the page's polite status region. */
  announce(message: string): void;
}

/** Confirms a saved change to a screen reader and to the eye. */
export const SAVED = "Saved. The engine uses the new configuration now.";

/**
 * Which items of a list are being added, edited or confirmed for removal, and where focus goes
 * when that ends: back to the button that started it, so keyboard users keep their place.
 * Buttons are found through `data-action` / `data-item` under `root`.
 */
export function useListEditing(root: RefObject<HTMLElement | null>) {
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<readonly string[]>([]);
  const [confirming, setConfirming] = useState<string | null>(null);
  const focusNext = useFocusAfterRender();

  const find = useCallback(
    (action: string, item?: string) => () =>
      [...(root.current?.querySelectorAll<HTMLElement>(`[data-action="${action}"]`) ?? [])].find(
        (el) => item === undefined || el.dataset.item === item,
      ),
    [root],
  );

  const stopAdding = () => {
    setAdding(false);
    focusNext(find("add"));
  };
  /** `focusId` is the item's id after the edit, which may have renamed it. */
  const stopEditing = (id: string, focusId = id) => {
    setEditing((e) => e.filter((x) => x !== id));
    focusNext(find("edit", focusId));
  };

  return {
    adding,
    startAdding: () => setAdding(true),
    stopAdding,
    isEditing: (id: string) => editing.includes(id),
    startEditing: (id: string) => setEditing((e) => (e.includes(id) ? e : [...e, id])),
    stopEditing,
    /** The form for a new item (`originalId` null) or for `originalId` was saved as `id`. */
    saved: (originalId: string | null, id: string) => {
      if (originalId === null) stopAdding();
      else stopEditing(originalId, id);
    },
    confirming,
    startConfirming: (id: string) => setConfirming(id),
    cancelConfirming: () => {
      const id = confirming;
      setConfirming(null);
      if (id !== null) focusNext(find("remove", id));
    },
    /** The item is gone, and its buttons with it: focus the section's heading instead. */
    removed: () => {
      setConfirming(null);
      focusNext(find("heading"));
    },
  };
}

export type ListEditing = ReturnType<typeof useListEditing>;

/**
 * Reloading the file from a problem's Reload button, e.g. after a conflict. One reload runs at a
 * time, and `onReloaded` runs only once the page has the file again: after a failed reload the
 * problem stays, since the page's status already says the reload failed.
 */
export function useReload(edits: EstateEdits, onReloaded: () => void) {
  const [reloading, setReloading] = useState(false);
  const reload = async () => {
    if (reloading) return;
    setReloading(true);
    const ok = await edits.reload();
    setReloading(false);
    if (ok) onReloaded();
  };
  return { reloading, reload };
}

/** Focuses an element found after the next render, once the element exists. */
export function useFocusAfterRender() {
  const pending = useRef<(() => HTMLElement | null | undefined) | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const target = pending.current;
    pending.current = null;
    target?.()?.focus();
  }, [tick]);
  return useCallback((target: () => HTMLElement | null | undefined) => {
    pending.current = target;
    setTick((t) => t + 1);
  }, []);
}
