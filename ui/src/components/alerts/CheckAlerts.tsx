// A check's page, Alerts section: whether this result has an open alert and where it stands,
// what an operator can do about it, and its timeline (for a check with several results, theirs
// too).

import { useCallback, useId, useMemo, useState, type FormEvent } from "react";
import { toBackendError, type Api, type Backend } from "../../backend";
import type { Event } from "../../bindings/Event";
import { checkOf, describeAlertState, isoFromMs, snoozeOf } from "../../lib/alerts";
import { canHandleAlerts, useCaller } from "../../lib/roles";
import { useLiveAlerts, useLiveTimeline } from "../../lib/useLiveAlerts";
import { Ago } from "../Ago";
import { AlertActions } from "./AlertActions";
import { SnoozeUntil } from "./SnoozeUntil";
import { TimelineList } from "./TimelineList";

const TIMELINE_PAGE = 20;

export interface CheckAlertsProps {
  backend: Backend;
  client: Api;
  /** The result (or check) the page is about. */
  id: string;
  /** Its name, as the page's heading shows it. */
  name: string;
  /** Says something in the page's status region. */
  announce: (text: string) => void;
}

export function CheckAlerts({ backend, client, id, name, announce }: CheckAlertsProps) {
  const operator = canHandleAlerts(useCaller());
  // Only this result's status changes (and those of its check's other results) matter here.
  const concernsThis = useCallback(
    (event: Event) =>
      (event.kind === "transition" &&
        (event.transition.id === id || checkOf(event.transition.id) === id || event.transition.id === checkOf(id))) ||
      (event.kind === "removed" && event.ids.some((r) => r === id || checkOf(r) === id)),
    [id],
  );
  const alerts = useLiveAlerts(backend, concernsThis);
  const timeline = useLiveTimeline(backend, id, TIMELINE_PAGE, concernsThis);
  const reloadAlerts = alerts.reload;
  const reloadTimeline = timeline.reload;
  const changed = useCallback(() => {
    reloadAlerts();
    reloadTimeline();
  }, [reloadAlerts, reloadTimeline]);

  const state = alerts.data;
  const open = useMemo(() => state?.open.find((a) => a.series === id) ?? null, [state, id]);
  const snooze = useMemo(() => (state ? snoozeOf(id, state.snoozes) : null), [state, id]);

  return (
    <section aria-labelledby="check-alerts-h" className="check-alerts">
      <h2 id="check-alerts-h">Alerts</h2>
      {alerts.error && (
        <p className="error-text">
          {state === null ? "Cannot load the alerts" : "Could not refresh the alerts"}: {alerts.error.message}
        </p>
      )}
      {state && (
        <>
          {open ? (
            <p className="alert-state">
              Open alert, <Ago iso={isoFromMs(open.opened_at_ms)} text={(s) => `for ${s}`} />:{" "}
              {/* Held back has its own line below. */}
              {describeAlertState({ ...open, suppressed_by: null }).join("; ")}
            </p>
          ) : (
            <p className="muted">No open alert.</p>
          )}
          {open?.suppressed_by && (
            <p className="banner banner-warn alert-held">Alerts held back: {open.suppressed_by}</p>
          )}
          {snooze && (
            <p className="alert-state">
              Snoozed{snooze.series !== id && <> with all of {snooze.series}</>} <SnoozeUntil untilMs={snooze.until_ms} />
              {snooze.by && ` by ${snooze.by}`}
              {snooze.note && `: ${snooze.note}`}
            </p>
          )}
          {operator && (
            <AlertActions
              id={id}
              name={name}
              open={open !== null}
              snooze={snooze}
              client={client}
              announce={announce}
              onChanged={changed}
            />
          )}
        </>
      )}
      {operator && <NoteForm id={id} name={name} client={client} announce={announce} onAdded={reloadTimeline} />}
      <h3 className="check-alerts-sub">Timeline</h3>
      <TimelineList
        timeline={timeline}
        current={id}
        label={`Timeline of ${name}`}
        empty="Nothing on the timeline yet: status changes, alerts, acknowledgements and notes show here."
      />
    </section>
  );
}

interface NoteFormProps {
  id: string;
  name: string;
  client: Api;
  announce: (text: string) => void;
  onAdded: () => void;
}

/** A note on the result's timeline: what was found, what was done, for whoever looks next. */
function NoteForm({ id, name, client, announce, onAdded }: NoteFormProps) {
  const inputId = useId();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const problemId = `${inputId}-problem`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const note = text.trim();
    if (note === "") {
      setProblem("Write the note first.");
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await client.addNote(id, note);
      setText("");
      announce(`Added a note to the timeline of ${name}.`);
      onAdded();
    } catch (err) {
      setProblem(`The note was not added: ${toBackendError(err).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="note-form" noValidate onSubmit={(e) => void submit(e)}>
      <label htmlFor={inputId}>Note</label>
      <div className="note-row">
        <input
          id={inputId}
          type="text"
          value={text}
          autoComplete="off"
          placeholder="What was found or done"
          aria-invalid={problem !== null || undefined}
          aria-describedby={problem !== null ? problemId : undefined}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" aria-disabled={busy || undefined}>
          {busy ? "Adding…" : "Add note"}
        </button>
      </div>
      {problem && (
        <p id={problemId} className="error-text" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
