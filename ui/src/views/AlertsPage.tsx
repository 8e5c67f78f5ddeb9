// Alerts: what is failing and who has been told, what is snoozed, what was sent where, what
// happened in what order, and the channels notifications go through.

import { memo, useCallback, useId, useMemo, useRef, useState, type ReactNode, type RefObject } from "react";
import { api, toBackendError, type Api, type Backend, type BackendError } from "../backend";
import type { ChannelView } from "../bindings/ChannelView";
import type { Delivery } from "../bindings/Delivery";
import type { OpenAlert } from "../bindings/OpenAlert";
import type { Overview } from "../bindings/Overview";
import type { Snooze } from "../bindings/Snooze";
import { Ago } from "../components/Ago";
import { AlertActions, useAlertAction } from "../components/alerts/AlertActions";
import { SnoozeUntil } from "../components/alerts/SnoozeUntil";
import { TimelineList } from "../components/alerts/TimelineList";
import { useFocusAfterRender } from "../components/settings/edits";
import { StatusBadge } from "../components/StatusBadge";
import {
  describeAlertState,
  describeDelivery,
  isoFromMs,
  NOTIFICATION_KIND_LABEL,
  snoozeOf,
  sortDeliveries,
  sortOpenAlerts,
} from "../lib/alerts";
import { formatDateTime } from "../lib/format";
import { canHandleAlerts, useCaller } from "../lib/roles";
import { checkHref } from "../lib/route";
import { useChannels, useLiveAlerts, useLiveTimeline } from "../lib/useLiveAlerts";
import "../settings.css";

/** Enough for the last few incidents without making the page a scroll through history. */
const TIMELINE_PAGE = 30;
/** Deliveries shown before "Show all": the engine keeps the last 200. */
const DELIVERIES_SHOWN = 25;

export interface AlertsPageProps {
  backend: Backend;
  /** For the names of snoozed checks and of results on the timeline. */
  overview: Overview | null;
}

export function AlertsPage({ backend, overview }: AlertsPageProps) {
  const client = useMemo(() => api(backend), [backend]);
  const operator = canHandleAlerts(useCaller());
  const alerts = useLiveAlerts(backend);
  const timeline = useLiveTimeline(backend, null, TIMELINE_PAGE);
  const channels = useChannels(backend);
  const [status, setStatus] = useState<{ content: ReactNode; seq: number }>({ content: null, seq: 0 });
  const announce = useCallback((content: ReactNode) => setStatus((s) => ({ content, seq: s.seq + 1 })), []);
  const reloadAlerts = alerts.reload;
  const reloadTimeline = timeline.reload;
  const changed = useCallback(() => {
    reloadAlerts();
    reloadTimeline();
  }, [reloadAlerts, reloadTimeline]);

  const state = alerts.data;
  const names = useMemo(() => {
    const map = new Map<string, string>();
    for (const env of overview?.environments ?? []) for (const c of env.checks) map.set(c.id, c.name);
    for (const a of state?.open ?? []) map.set(a.series, a.name);
    return map;
  }, [overview, state]);
  const open = useMemo(() => sortOpenAlerts(state?.open ?? []), [state]);

  return (
    <main className="page settings alerts">
      <h1 tabIndex={-1}>Alerts</h1>
      {/* Always rendered, so screen readers already watch it when the first message arrives. */}
      <div className="settings-status" role="status" aria-live="polite">
        {status.content && <p key={status.seq}>{status.content}</p>}
      </div>

      {state === null && alerts.error === null && <p className="muted">Loading the alerts…</p>}
      {alerts.error &&
        (state === null ? (
          <div className="banner banner-error" role="alert">
            <p>Cannot load the alerts: {alerts.error.message}</p>
            <button type="button" onClick={alerts.reload}>
              Try again
            </button>
          </div>
        ) : (
          <div className="banner banner-warn">
            <p>Could not refresh: {alerts.error.message}. Showing the last data received.</p>
            <button type="button" onClick={alerts.reload}>
              Try again
            </button>
          </div>
        ))}

      {state && (
        <>
          <OpenAlertsSection
            open={open}
            snoozes={state.snoozes}
            operator={operator}
            client={client}
            announce={announce}
            onChanged={changed}
          />
          <SnoozesSection
            snoozes={state.snoozes}
            names={names}
            operator={operator}
            client={client}
            announce={announce}
            onChanged={changed}
          />
          <DeliveriesSection deliveries={state.deliveries} />
        </>
      )}

      <section aria-labelledby="alerts-timeline-h">
        <h2 id="alerts-timeline-h">Timeline</h2>
        <TimelineList
          timeline={timeline}
          names={names}
          label="Timeline of the whole estate"
          empty="Nothing has happened yet: status changes, alerts and what people did about them show here."
        />
      </section>

      <ChannelsSection
        channels={channels.data}
        error={channels.error}
        onRetry={channels.reload}
        operator={operator}
        client={client}
        announce={announce}
        onTested={reloadTimeline}
      />
    </main>
  );
}

interface ActionProps {
  operator: boolean;
  client: Api;
  announce: (content: ReactNode) => void;
  onChanged: () => void;
}

function OpenAlertsSection({ open, snoozes, ...actions }: { open: OpenAlert[]; snoozes: Snooze[] } & ActionProps) {
  return (
    <section aria-labelledby="alerts-open-h">
      <h2 id="alerts-open-h">Open alerts</h2>
      {open.length === 0 ? (
        <p className="muted">No open alerts.</p>
      ) : (
        <ul className="settings-list alert-list" aria-labelledby="alerts-open-h">
          {open.map((a) => (
            <OpenAlertItem key={a.series} alert={a} snooze={snoozeOf(a.series, snoozes)} {...actions} />
          ))}
        </ul>
      )}
    </section>
  );
}

function OpenAlertItem({
  alert: a,
  snooze,
  operator,
  client,
  announce,
  onChanged,
}: { alert: OpenAlert; snooze: Snooze | null } & ActionProps) {
  const nameId = useId();
  return (
    <li className={`settings-item alert-item alert-${a.status}`} aria-labelledby={nameId}>
      <div className="alert-head">
        <StatusBadge status={a.status} />
        <a id={nameId} className="alert-name" href={checkHref(a.series)} data-check-id={a.series}>
          {a.name}
        </a>
        <span className="alert-since">
          <Ago iso={isoFromMs(a.opened_at_ms)} text={(s) => `open for ${s}`} />
        </span>
      </div>
      {a.reason && <p className="alert-reason">{a.reason}</p>}
      <p className="alert-state">{describeAlertState(a).join("; ")}</p>
      {operator && (
        <AlertActions
          id={a.series}
          name={a.name}
          open
          snooze={snooze}
          client={client}
          announce={announce}
          onChanged={onChanged}
        />
      )}
    </li>
  );
}

function SnoozesSection({
  snoozes,
  names,
  ...actions
}: { snoozes: Snooze[]; names: ReadonlyMap<string, string> } & ActionProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  return (
    <section aria-labelledby="alerts-snoozed-h">
      <h2 id="alerts-snoozed-h" ref={heading} tabIndex={-1}>
        Snoozed
      </h2>
      {snoozes.length === 0 ? (
        <p className="muted">Nothing is snoozed.</p>
      ) : (
        <ul className="settings-list alert-list" aria-labelledby="alerts-snoozed-h">
          {snoozes.map((s) => (
            <SnoozeItem
              key={s.series}
              snooze={s}
              name={names.get(s.series) ?? s.series}
              heading={heading}
              {...actions}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function SnoozeItem({
  snooze: s,
  name,
  heading,
  operator,
  client,
  announce,
  onChanged,
}: { snooze: Snooze; name: string; heading: RefObject<HTMLHeadingElement | null> } & ActionProps) {
  const nameId = useId();
  const { busy, run } = useAlertAction(announce, onChanged);
  const focusNext = useFocusAfterRender();
  const end = async () => {
    const ended = await run(
      "end",
      () => client.snooze(s.series, null),
      `Ended the snooze of ${name}.`,
      `Could not end the snooze of ${name}`,
    );
    // The item goes with the snooze: the section's heading keeps the keyboard's place.
    if (ended) focusNext(() => heading.current);
  };
  return (
    <li className="settings-item alert-item" aria-labelledby={nameId}>
      <div className="alert-head">
        <a id={nameId} className="alert-name" href={checkHref(s.series)}>
          {name}
        </a>
        <span className="alert-since">
          <SnoozeUntil untilMs={s.until_ms} />
        </span>
      </div>
      <p className="alert-state">
        {s.by ? `Snoozed by ${s.by}` : "Snoozed"}
        {s.note && `: ${s.note}`}
      </p>
      {operator && (
        <div className="alert-actions">
          <button type="button" aria-disabled={busy !== null || undefined} onClick={() => void end()}>
            {busy ? "Ending snooze…" : "End snooze"} <span className="sr-only">of {name}</span>
          </button>
        </div>
      )}
    </li>
  );
}

const DeliveriesSection = memo(function DeliveriesSection({ deliveries }: { deliveries: Delivery[] }) {
  const [all, setAll] = useState(false);
  const sorted = useMemo(() => sortDeliveries(deliveries), [deliveries]);
  const shown = all ? sorted : sorted.slice(0, DELIVERIES_SHOWN);
  return (
    <section aria-labelledby="alerts-deliveries-h">
      <h2 id="alerts-deliveries-h">Deliveries</h2>
      {sorted.length === 0 ? (
        <p className="muted">No notifications sent yet.</p>
      ) : (
        <>
          <table className="log-table" aria-labelledby="alerts-deliveries-h">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Channel</th>
                <th scope="col">Kind</th>
                <th scope="col">Title</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <DeliveryRow key={`${d.id}-${d.channel}`} delivery={d} />
              ))}
            </tbody>
          </table>
          {sorted.length > DELIVERIES_SHOWN && (
            <button type="button" className="log-more" onClick={() => setAll((a) => !a)}>
              {all ? `Show the newest ${DELIVERIES_SHOWN}` : `Show all ${sorted.length} deliveries`}
            </button>
          )}
        </>
      )}
    </section>
  );
});

function DeliveryRow({ delivery: d }: { delivery: Delivery }) {
  return (
    <tr className={`delivery delivery-${d.state}`}>
      <td data-label="Time">
        <time dateTime={d.created_at}>{formatDateTime(d.created_at)}</time>
      </td>
      <td data-label="Channel" className="wrap">
        {d.channel}
      </td>
      <td data-label="Kind">{NOTIFICATION_KIND_LABEL[d.kind]}</td>
      <th scope="row" data-label="Title" className="wrap">
        {d.title}
      </th>
      <td data-label="State" className="wrap">
        <span className="delivery-state">{describeDelivery(d)}</span>
        {d.last_error && <span className="delivery-error">{d.last_error}</span>}
      </td>
    </tr>
  );
}

interface ChannelsSectionProps {
  channels: ChannelView[] | null;
  error: BackendError | null;
  onRetry: () => void;
  operator: boolean;
  client: Api;
  announce: (content: ReactNode) => void;
  /** A test goes on the timeline. */
  onTested: () => void;
}

function ChannelsSection({ channels, error, onRetry, operator, client, announce, onTested }: ChannelsSectionProps) {
  const [testing, setTesting] = useState<string | null>(null);

  const test = async (c: ChannelView) => {
    if (testing !== null) return;
    setTesting(c.id);
    try {
      await client.testChannel(c.id);
      announce(
        <>
          Test notification sent to <code>{c.id}</code>.
        </>,
      );
    } catch (e) {
      announce(
        <>
          Test notification to <code>{c.id}</code> failed: {toBackendError(e).message}
        </>,
      );
    } finally {
      setTesting(null);
      onTested();
    }
  };

  return (
    <section aria-labelledby="alerts-channels-h">
      <h2 id="alerts-channels-h">Channels</h2>
      {channels === null ? (
        error ? (
          <div className="banner banner-error" role="alert">
            <p>Cannot load the channels: {error.message}</p>
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          </div>
        ) : (
          <p className="muted">Loading the channels…</p>
        )
      ) : channels.length === 0 ? (
        <p className="muted">
          No channels are configured, so nobody is notified. Add a <code>[[channel]]</code> (e-mail, Teams, Slack, a
          webhook or the desktop) to the configuration file; the alerting guide (<code>docs/alerting.md</code>) has an
          example of each.
        </p>
      ) : (
        <ul className="settings-list alert-list" aria-labelledby="alerts-channels-h">
          {channels.map((c) => (
            <ChannelItem
              key={c.id}
              channel={c}
              operator={operator}
              testing={testing === c.id}
              onTest={() => void test(c)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function ChannelItem({
  channel: c,
  operator,
  testing,
  onTest,
}: {
  channel: ChannelView;
  operator: boolean;
  testing: boolean;
  onTest: () => void;
}) {
  const nameId = useId();
  return (
    <li className="settings-item alert-item" aria-labelledby={nameId}>
      <div className="alert-head">
        <h3 id={nameId} className="channel-name">
          {c.name}
        </h3>
        {c.name !== c.id && <code className="settings-id">{c.id}</code>}
        <span className="settings-badge">{c.type}</span>
        <span className={`settings-badge ${c.enabled ? "channel-on" : "channel-off"}`}>
          {c.enabled ? "Enabled" : "Disabled"}
        </span>
      </div>
      <dl className="cred-facts">
        <div>
          <dt>Sends to</dt>
          <dd>{c.target ?? <span className="muted">—</span>}</dd>
        </div>
        {c.credentials.length > 0 && (
          <div>
            <dt>Credentials</dt>
            <dd>
              {c.credentials.map((name, i) => (
                <span key={name}>
                  {i > 0 && ", "}
                  <code>{name}</code>
                </span>
              ))}
            </dd>
          </div>
        )}
      </dl>
      {operator && (
        <div className="alert-actions">
          <button type="button" aria-disabled={testing || undefined} onClick={onTest}>
            {testing ? "Sending…" : "Send test"} <span className="sr-only">to {c.name}</span>
          </button>
        </div>
      )}
    </li>
  );
}
