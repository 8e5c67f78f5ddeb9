// What a result says beyond status and message, per check type: a queue's figures, a
// heartbeat file's last beat, a push check's last push, a Prometheus sample.

import type { QueueDetails } from "../bindings/QueueDetails";
import type { BeatState, HeartbeatInfo, PrometheusInfo, PushInfo, PushState } from "../lib/details";
import { formatCount, formatDateTime, formatNumber, formatRate, formatSpan, parseTime } from "../lib/format";
import { MOVEMENT_MEANING } from "../lib/queues";
import { Ago } from "./Ago";
import { MovementBadge } from "./MovementBadge";
import { StatusBadge } from "./StatusBadge";

const plural = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

export function QueueFacts({ queue: d }: { queue: QueueDetails }) {
  const q = d.queue;
  const t = d.thresholds;
  return (
    <section aria-labelledby="queue-h">
      <h2 id="queue-h">Queue</h2>
      <p className="kind-state">
        <MovementBadge movement={d.movement} /> <span>{MOVEMENT_MEANING[d.movement]}</span>
      </p>
      {q.dead_letter && (
        <p className="kind-note">
          <span className="q-tag">dead letters</span> This queue holds messages other queues could not
          deliver: any message here needs a look.
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Depth</dt>
          <dd>
            {plural(q.depth, "message", "messages")} ({formatCount(q.ready)} ready,{" "}
            {formatCount(q.unacked)} unacknowledged)
          </dd>
        </div>
        <div>
          <dt>Consumers</dt>
          <dd>
            {formatCount(q.consumers)}
            {t.min_consumers > 0 && (
              <span className="muted"> (at least {formatCount(t.min_consumers)} expected)</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Messages per second</dt>
          <dd>
            in {formatRate(q.publish_rate)}, out {formatRate(q.deliver_rate)}, acknowledged{" "}
            {formatRate(q.ack_rate)}
            {q.redeliver_rate > 0 && `, redelivered ${formatRate(q.redeliver_rate)}`}
          </dd>
        </div>
        <div>
          <dt>Waiting since</dt>
          <dd>
            {d.waiting_since ? (
              <>
                {formatDateTime(d.waiting_since)} (<Ago iso={d.waiting_since} text={(s) => `for ${s}`} />)
              </>
            ) : (
              "nothing is waiting"
            )}
          </dd>
        </div>
        <div>
          <dt>Last delivery or acknowledgement</dt>
          <dd>
            {d.last_progress_at ? (
              <>
                {formatDateTime(d.last_progress_at)} (<Ago iso={d.last_progress_at} />)
              </>
            ) : (
              "none seen yet"
            )}
          </dd>
        </div>
        <div>
          <dt>Thresholds</dt>
          <dd>
            {[
              t.max_depth === null ? "no maximum depth" : `at most ${plural(t.max_depth, "message", "messages")}`,
              `stalled after ${formatSpan(t.stalled_after_s)}`,
              `at least ${plural(t.min_consumers, "consumer", "consumers")}`,
            ].join("; ")}
          </dd>
        </div>
        <div>
          <dt>Broker</dt>
          <dd className="wrap">
            {d.broker || "—"}, vhost <code>{q.vhost}</code>
          </dd>
        </div>
        {(q.type || q.state) && (
          <div>
            <dt>Queue type and state</dt>
            <dd>{[q.type, q.state].filter(Boolean).join(", ")}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

const BEAT_WORD: Record<BeatState, string> = {
  fresh: "Fresh",
  late: "Late",
  stale: "Stale",
  missing: "Missing",
  unreadable: "Unreadable",
  unparsable: "Unparsable",
  future: "In the future",
};

const BEAT_MEANING: Record<BeatState, string> = {
  fresh: "the last beat is recent enough.",
  late: "the last beat is older than the warning age, not yet older than the maximum.",
  stale: "the last beat is older than the maximum age: the service that writes it may have stopped.",
  missing:
    "the file does not exist. The service may not have run yet, may write it somewhere else, or the share is not the one expected.",
  unreadable:
    "the file is there but cannot be read, for example because the account opsdeck runs as may not read it or the share does not answer.",
  unparsable: "the file holds no time opsdeck can read in the expected form.",
  future:
    "the last beat is later than this machine's clock: the clocks of this machine and of the machine that writes the file differ.",
};

const SOURCE: Record<string, string> = {
  mtime: "the file's modification time",
  iso8601: "an ISO 8601 time in the file",
  unix: "a Unix timestamp in the file",
  format: "a time in the file, in the configured format",
};

export function HeartbeatFacts({ beat }: { beat: HeartbeatInfo }) {
  const beatMs = parseTime(beat.last_beat);
  return (
    <section aria-labelledby="heartbeat-h">
      <h2 id="heartbeat-h">Heartbeat</h2>
      <p className="kind-lead">
        {beat.last_beat === null || beatMs === null ? (
          "No beat read"
        ) : beat.state === "future" ? (
          "Last beat in the future"
        ) : (
          <Ago iso={beat.last_beat} text={(s) => `Last beat ${s} ago`} />
        )}
      </p>
      <p className="kind-note">
        <strong>{BEAT_WORD[beat.state]}</strong>: {BEAT_MEANING[beat.state]}
      </p>
      <dl className="facts">
        {beat.last_beat !== null && (
          <div>
            <dt>Last beat at</dt>
            <dd>{formatDateTime(beat.last_beat)}</dd>
          </div>
        )}
        <div>
          <dt>Maximum age</dt>
          <dd>
            {beat.max_age_s === null ? "—" : formatSpan(beat.max_age_s)}
            {beat.warn_age_s !== null && (
              <span className="muted"> (late after {formatSpan(beat.warn_age_s)})</span>
            )}
          </dd>
        </div>
        <div>
          <dt>File</dt>
          <dd>{beat.path ? <code className="wrap">{beat.path}</code> : "—"}</dd>
        </div>
        {beat.source && (
          <div>
            <dt>Time read from</dt>
            <dd>{SOURCE[beat.source] ?? beat.source}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

const PUSH_STATE: Record<PushState, string> = {
  waiting: "Waiting for the first push.",
  "on-time": "On time: the last push came within the expected period.",
  late: "Late: no push within the expected period and its grace.",
};

export function PushFacts({ push }: { push: PushInfo }) {
  return (
    <section aria-labelledby="push-h">
      <h2 id="push-h">Push</h2>
      <p className="kind-lead">
        {push.last_push_at ? <Ago iso={push.last_push_at} text={(s) => `Last push ${s} ago`} /> : "No push yet"}
      </p>
      <p className="kind-note">{PUSH_STATE[push.state]}</p>
      <dl className="facts">
        <div>
          <dt>Last push at</dt>
          <dd>{push.last_push_at ? formatDateTime(push.last_push_at) : "none received yet"}</dd>
        </div>
        {push.pushed_status && (
          <div>
            <dt>Status it reported</dt>
            <dd>
              <StatusBadge status={push.pushed_status} />
            </dd>
          </div>
        )}
        <div>
          <dt>Message it sent</dt>
          <dd className="wrap">{push.pushed_message ?? <span className="muted">none</span>}</dd>
        </div>
        <div>
          <dt>Expected</dt>
          <dd>
            {push.period_s === null ? "—" : `every ${formatSpan(push.period_s)}`}
            {push.grace_s !== null && push.grace_s > 0 && `, with ${formatSpan(push.grace_s)} of grace`}
          </dd>
        </div>
      </dl>
    </section>
  );
}

export function PrometheusFacts({ sample }: { sample: PrometheusInfo }) {
  const t = sample.thresholds;
  const limits = [
    t.down_above !== null && `down above ${formatNumber(t.down_above)}`,
    t.degraded_above !== null && `degraded above ${formatNumber(t.degraded_above)}`,
    t.degraded_below !== null && `degraded below ${formatNumber(t.degraded_below)}`,
    t.down_below !== null && `down below ${formatNumber(t.down_below)}`,
  ].filter((x): x is string => typeof x === "string");
  return (
    <section aria-labelledby="sample-h">
      <h2 id="sample-h">Sample</h2>
      <dl className="facts">
        <div>
          <dt>Value</dt>
          <dd className="kind-value">
            {typeof sample.value === "number" ? formatNumber(sample.value) : (sample.value ?? "—")}
          </dd>
        </div>
        <div>
          <dt>Sampled</dt>
          <dd>
            {sample.sampled_at ? (
              <>
                {formatDateTime(sample.sampled_at)} (<Ago iso={sample.sampled_at} />)
              </>
            ) : (
              "—"
            )}
          </dd>
        </div>
        <div>
          <dt>Thresholds</dt>
          <dd>{limits.length > 0 ? limits.join("; ") : "none: the value is only recorded"}</dd>
        </div>
        <div>
          <dt>Labels</dt>
          <dd>
            {sample.labels.length === 0 ? (
              "none"
            ) : (
              <ul className="tags">
                {sample.labels.map(([k, v]) => (
                  <li key={k}>
                    <code className="wrap">
                      {k}=&quot;{v}&quot;
                    </code>
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
      <h3 className="kind-sub">Query</h3>
      <pre className="kind-query">
        <code>{sample.query}</code>
      </pre>
    </section>
  );
}
