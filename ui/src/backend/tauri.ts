// Desktop transport: the shell exposes one command, `rpc`, for the engine, and emits every
// engine event as `opsdeck://event`. Its own settings (sign-in start, notifications, network
// sharing), the sharing status and restarting are separate commands, because the engine knows
// nothing about them.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { DesktopPreferences } from "../bindings/DesktopPreferences";
import type { Event } from "../bindings/Event";
import type { Request } from "../bindings/Request";
import type { SharingStatus } from "../bindings/SharingStatus";
import { toBackendError } from "./errors";
import type { Backend } from "./index";

export const EVENT_NAME = "opsdeck://event";
export const PREFERENCES_EVENT = "opsdeck://preferences";

/** `listen`, with an unsubscribe that works even before the listener is registered. */
function follow<T>(name: string, callback: (payload: T) => void, onReady?: (ok: boolean) => void) {
  let unlisten: UnlistenFn | null = null;
  let closed = false;
  listen<T>(name, (e) => callback(e.payload)).then(
    (fn) => {
      if (closed) {
        fn();
        return;
      }
      unlisten = fn;
      onReady?.(true);
    },
    () => onReady?.(false),
  );
  return () => {
    closed = true;
    unlisten?.();
    unlisten = null;
  };
}

async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await (args === undefined ? invoke<T>(name) : invoke<T>(name, args));
  } catch (e) {
    throw toBackendError(e);
  }
}

export function createTauriBackend(): Backend {
  return {
    desktop: {
      preferences: () => command<DesktopPreferences>("desktop_preferences"),
      setPreferences: (preferences) =>
        command<DesktopPreferences>("set_desktop_preferences", { preferences }),
      restart: () => command<void>("restart"),
      sharingStatus: () => command<SharingStatus>("sharing_status"),
      onPreferences: (callback) => follow<DesktopPreferences>(PREFERENCES_EVENT, callback),
    },

    call: <T>(request: Request) => command<T>("rpc", { request }),

    subscribe: (onEvent, onLive) => follow<Event>(EVENT_NAME, onEvent, onLive),
  };
}
