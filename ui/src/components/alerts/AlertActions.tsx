// What an operator can do about a result's alerts: acknowledge the open alert, snooze the
// result for a few hours, end a snooze. Used on the Alerts page (a row per alert) and on a
// check's page. Viewers are never offered these: the caller leaves them out.

import { useCallback, useRef, useState } from "react";
import { toBackendError, type Api } from "../../backend";
import type { Snooze } from "../../bindings/Snooze";
import { SNOOZE_CHOICES } from "../../lib/alerts";
import { useFocusAfterRender } from "../settings/edits";
import { AcknowledgeDialog } from "./AcknowledgeDialog";

/**
 * Runs one alert action at a time: says in the page's status region how it went, and has the
 * page fetch again when it changed something.
 */
export function useAlertAction(announce: (text: string) => void, onChanged: () => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const running = useRef(false);
  const run = useCallback(
    async (key: string, action: () => Promise<unknown>, done: string, failed: string): Promise<boolean> => {
      if (running.current) return false;
      running.current = true;
      setBusy(key);
      try {
        await action();
        announce(done);
        onChanged();
        return true;
      } catch (e) {
        announce(`${failed}: ${toBackendError(e).message}`);
        return false;
      } finally {
        running.current = false;
        setBusy(null);
      }
    },
    [announce, onChanged],
  );
  return { busy, run };
}

export interface AlertActionsProps {
  /** The result's id. */
  id: string;
  name: string;
  /** The result has an open alert, so it can be acknowledged. */
  open: boolean;
  /** The snooze holding its alerts back: its own or its check's. */
  snooze: Snooze | null;
  client: Api;
  announce: (text: string) => void;
  onChanged: () => void;
}

export function AlertActions({ id, name, open, snooze, client, announce, onChanged }: AlertActionsProps) {
  const [acknowledging, setAcknowledging] = useState(false);
  const { busy, run } = useAlertAction(announce, onChanged);
  const firstSnooze = useRef<HTMLButtonElement>(null);
  const focusNext = useFocusAfterRender();

  const endSnooze = async (s: Snooze) => {
    const ended = await run(
      "end",
      () => client.snooze(s.series, null),
      s.series === id ? `Ended the snooze of ${name}.` : `Ended the snooze of ${s.series}, which covered ${name}.`,
      `Could not end the snooze of ${name}`,
    );
    // The button is gone with the snooze: keep the keyboard in this row.
    if (ended) focusNext(() => firstSnooze.current);
  };

  return (
    <div className="alert-actions">
      {open && (
        <button type="button" onClick={() => setAcknowledging(true)}>
          Acknowledge <span className="sr-only">{name}</span>
        </button>
      )}
      <div className="alert-snooze" role="group" aria-label={`Snooze ${name}`}>
        <span className="alert-snooze-label" aria-hidden="true">
          Snooze
        </span>
        <span className="segmented">
          {SNOOZE_CHOICES.map((c, i) => (
            <button
              key={c.minutes}
              ref={i === 0 ? firstSnooze : undefined}
              type="button"
              aria-label={`Snooze ${name} for ${c.long}`}
              aria-disabled={busy !== null || undefined}
              onClick={() =>
                void run(
                  `snooze-${c.minutes}`,
                  () => client.snooze(id, c.minutes),
                  `Snoozed ${name} for ${c.long}: its alerts are held back until then.`,
                  `Could not snooze ${name}`,
                )
              }
            >
              {busy === `snooze-${c.minutes}` ? "…" : c.label}
            </button>
          ))}
        </span>
      </div>
      {snooze && (
        <button type="button" aria-disabled={busy !== null || undefined} onClick={() => void endSnooze(snooze)}>
          {busy === "end" ? "Ending snooze…" : "End snooze"} <span className="sr-only">of {name}</span>
        </button>
      )}
      {acknowledging && (
        <AcknowledgeDialog
          id={id}
          name={name}
          client={client}
          onAcknowledged={(note) => {
            setAcknowledging(false);
            announce(
              note
                ? `Acknowledged ${name} (“${note}”). Reminders stop until it recovers.`
                : `Acknowledged ${name}. Reminders stop until it recovers.`,
            );
            onChanged();
          }}
          onClose={() => setAcknowledging(false)}
        />
      )}
    </div>
  );
}
