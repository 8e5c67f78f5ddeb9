// Noticing that the session ended (its token revoked or expired) while the console is open.

import { isUnauthorized, type Backend } from "../backend";
import type { Request } from "../bindings/Request";

/**
 * The backend as the signed-in console uses it: any call refused as `unauthorized` reports
 * `onUnauthorized` (and still rejects). In a browser, the event stream dropping also asks who
 * is signed in, since a stream refused for a revoked token says nothing of why.
 */
export function guardSession(inner: Backend, onUnauthorized: () => void): Backend {
  let probing = false;

  async function call<T>(request: Request): Promise<T> {
    try {
      return await inner.call<T>(request);
    } catch (e) {
      if (isUnauthorized(e)) onUnauthorized();
      throw e;
    }
  }

  const probe = () => {
    if (probing || inner.session === undefined) return;
    probing = true;
    call({ method: "session" })
      .catch(() => undefined)
      .finally(() => {
        probing = false;
      });
  };

  return {
    call,
    subscribe: (onEvent, onLive) =>
      inner.subscribe(onEvent, (live) => {
        if (!live) probe();
        onLive?.(live);
      }),
    ...(inner.desktop ? { desktop: inner.desktop } : {}),
    ...(inner.session ? { session: inner.session } : {}),
  };
}
