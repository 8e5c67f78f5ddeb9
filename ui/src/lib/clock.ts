import { useSyncExternalStore } from "react";

// One shared one-second ticker: only the components that show relative times re-render.
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of listeners) l();
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

// While no one is subscribed the ticker is stopped: refresh the time on read, at most once a
// second so consecutive reads agree.
const snapshot = () => {
  if (timer === null && Math.abs(Date.now() - now) >= 1000) now = Date.now();
  return now;
};

/** The current time in milliseconds, updated every second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, snapshot);
}

/**
 * A value derived from the current time, re-rendering only when it changes: "5 min ago"
 * re-renders once a minute, not every second. `derive` must return a primitive.
 */
export function useTicking<T extends string | number | boolean | null>(derive: (now: number) => T): T {
  return useSyncExternalStore(subscribe, () => derive(snapshot()));
}
