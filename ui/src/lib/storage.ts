import { useCallback, useState } from "react";

export type StorageArea = "local" | "session";

// Storage can be missing or refuse access (privacy modes, a full quota, a locked-down
// webview): preferences are then simply not remembered.
function area(which: StorageArea): Storage | null {
  try {
    return which === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function readStored<T>(
  which: StorageArea,
  key: string,
  isValid: (v: unknown) => v is T,
): T | undefined {
  try {
    const raw = area(which)?.getItem(key);
    if (raw === null || raw === undefined) return undefined;
    const value: unknown = JSON.parse(raw);
    return isValid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeStored(which: StorageArea, key: string, value: unknown): void {
  try {
    area(which)?.setItem(key, JSON.stringify(value));
  } catch {
    // Not remembered; the value still applies to this page.
  }
}

/**
 * `useState` whose value is remembered under `key`: in `localStorage` across visits, or in
 * `sessionStorage` for this tab only. Stored values that fail `isValid` are ignored.
 */
export function useStoredState<T>(
  which: StorageArea,
  key: string,
  fallback: T,
  isValid: (v: unknown) => v is T,
): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => readStored(which, key, isValid) ?? fallback);
  const set = useCallback(
    (next: T) => {
      setValue(next);
      writeStored(which, key, next);
    },
    [which, key],
  );
  return [value, set];
}

export const isString = (v: unknown): v is string => typeof v === "string";
export const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
