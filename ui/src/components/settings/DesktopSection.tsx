// The desktop app's own behaviour. These live in the shell, not in the estate file, so they
// save on their own: the switches at once, without a Save button; network sharing, which has
// fields to fill in, with its own Save (SharingForm.tsx).

import { useEffect, useId, useRef, useState } from "react";
import { toBackendError, type BackendError, type DesktopControls } from "../../backend";
import type { DesktopPreferences } from "../../bindings/DesktopPreferences";
import type { NetworkSharing } from "../../bindings/NetworkSharing";
import { useNow } from "../../lib/clock";
import { parseTime } from "../../lib/format";
import { CheckboxField } from "./Field";
import { SharingForm } from "./SharingForm";
import { useActionError } from "./useActionError";

// en-GB in the viewer's time zone, like lib/format.ts; the day only when it is not today.
const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit" });
const dayAndClock = new Intl.DateTimeFormat("en-GB", {
  weekday: "short",
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});

/** "14:00" today, "Wed 26 Nov, 14:00" another day. */
export function formatUntil(ms: number, nowMs: number): string {
  return new Date(ms).toDateString() === new Date(nowMs).toDateString()
    ? clock.format(ms)
    : dayAndClock.format(ms);
}

export interface DesktopSectionProps {
  desktop: DesktopControls;
  announce: (message: string) => void;
}

export function DesktopSection({ desktop, announce }: DesktopSectionProps) {
  const headingId = useId();
  const [prefs, setPrefs] = useState<DesktopPreferences | null>(null);
  const [loadError, setLoadError] = useState<BackendError | null>(null);
  const [saveError, attemptSave] = useActionError();

  useEffect(() => {
    let cancelled = false;
    desktop.preferences().then(
      (p) => {
        if (!cancelled) setPrefs(p);
      },
      (e: unknown) => {
        if (!cancelled) setLoadError(toBackendError(e));
      },
    );
    // Muting from the tray menu changes them while this page is open.
    const stop = desktop.onPreferences((p) => {
      if (!cancelled) setPrefs(p);
    });
    return () => {
      cancelled = true;
      stop();
    };
  }, [desktop]);

  // Saves go to the shell one after another, each with the state the one before left: two quick
  // clicks must not race, or the first answer could land last and undo the second click.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const latest = useRef(0);

  const update = (patch: Partial<DesktopPreferences>, done: string) => {
    if (prefs === null) return;
    const before = prefs;
    const wanted = { ...prefs, ...patch };
    // Shown at once: a checkbox that lags behind the click reads as "did not take".
    setPrefs(wanted);
    const ticket = ++latest.current;
    const run = queue.current.then(async () => {
      const saved = await attemptSave(async () => {
        const answer = await desktop.setPreferences(wanted);
        // A newer click is queued: its answer is the one to show.
        if (ticket === latest.current) setPrefs(answer);
        announce(done);
      });
      if (!saved && ticket === latest.current) setPrefs(before);
    });
    queue.current = run;
    return run;
  };

  /** Every other preference goes back as it is: the shell stores the whole object. */
  const saveSharing = async (sharing: NetworkSharing): Promise<BackendError | null> => {
    if (prefs === null) return toBackendError("The desktop preferences are not loaded yet.");
    try {
      setPrefs(await desktop.setPreferences({ ...prefs, sharing }));
      return null;
    } catch (e) {
      return toBackendError(e);
    }
  };

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Desktop</h2>
      {loadError && (
        <p className="banner banner-error" role="alert">
          Cannot read the desktop preferences: {loadError.message}
        </p>
      )}
      {prefs === null && loadError === null && <p className="muted">Loading…</p>}
      {prefs && (
        <div className="settings-fields settings-fields-single">
          <CheckboxField
            label="Start opsdeck when I sign in"
            name="start_with_os"
            checked={prefs.start_with_os}
            onChange={(on) =>
              void update(
                { start_with_os: on },
                on ? "opsdeck will start when you sign in." : "opsdeck will not start when you sign in.",
              )
            }
            hint="It starts in the tray and keeps checking in the background."
          />
          <CheckboxField
            label="Show notifications when a check goes down or comes back up"
            name="notifications"
            checked={prefs.notifications}
            onChange={(on) =>
              void update({ notifications: on }, on ? "Notifications are on." : "Notifications are off.")
            }
          />
          <MuteStatus
            until={prefs.muted_until}
            onUnmute={() => void update({ muted_until: null }, "Notifications are unmuted.")}
          />
        </div>
      )}
      {saveError && (
        <p className="banner banner-error" role="alert">
          The change was not saved: {saveError.message}
        </p>
      )}
      {prefs && <SharingForm desktop={desktop} saved={prefs.sharing} save={saveSharing} announce={announce} />}
    </section>
  );
}

/** Ticks on its own, so the rest of the section does not re-render every second. */
function MuteStatus({ until, onUnmute }: { until: string | null; onUnmute: () => void }) {
  const now = useNow();
  const t = parseTime(until);
  if (t === null || t <= now) return null;
  return (
    <div className="settings-mute">
      <p>Muted until {formatUntil(t, now)}</p>
      <button type="button" onClick={onUnmute}>
        Unmute
      </button>
    </div>
  );
}
