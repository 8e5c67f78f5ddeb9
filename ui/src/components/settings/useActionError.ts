import { useCallback, useState } from "react";
import { toBackendError, type BackendError } from "../../backend";

/**
 * The failure of an action the user can simply try again (save a preference, create the file,
 * restart), to show next to what started it. Trying again clears the old failure first, so it
 * never lingers over an attempt that then works.
 *
 * Returns the failure, if any, and `attempt`, which runs the action and resolves with whether
 * it worked; it never rejects.
 */
export function useActionError() {
  const [error, setError] = useState<BackendError | null>(null);
  const attempt = useCallback(async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      return true;
    } catch (e) {
      setError(toBackendError(e));
      return false;
    }
  }, []);
  return [error, attempt] as const;
}
