// Desktop transport: the shell exposes one command, `rpc`, and emits every engine event
// as `opsdeck://event`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Event } from "../bindings/Event";
import type { Request } from "../bindings/Request";
import { toBackendError } from "./errors";
import type { Backend } from "./index";

export const EVENT_NAME = "opsdeck://event";

export function createTauriBackend(): Backend {
  return {
    async call<T>(request: Request): Promise<T> {
      try {
        return await invoke<T>("rpc", { request });
      } catch (e) {
        throw toBackendError(e);
      }
    },

    subscribe(onEvent, onLive) {
      let unlisten: UnlistenFn | null = null;
      let closed = false;
      listen<Event>(EVENT_NAME, (e) => onEvent(e.payload)).then(
        (fn) => {
          if (closed) {
            fn();
            return;
          }
          unlisten = fn;
          onLive?.(true);
        },
        () => onLive?.(false),
      );
      return () => {
        closed = true;
        unlisten?.();
        unlisten = null;
      };
    },
  };
}
