import type { Backend, SessionControls } from "../backend";
import type { Caller } from "../bindings/Caller";
import type { CheckDetail } from "../bindings/CheckDetail";
import type { CheckView } from "../bindings/CheckView";
import type { Event } from "../bindings/Event";
import type { Overview } from "../bindings/Overview";
import type { Request } from "../bindings/Request";
import { countStatuses, STATUS_RANK, worst } from "../lib/status";

export const NOW = Date.parse("2025-06-01T12:00:00Z");
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

export function check(partial: Partial<CheckView> & Pick<CheckView, "id">): CheckView {
  return {
    name: partial.id,
    type: "http",
    environment: "prod",
    tags: [],
    target: `https://${partial.id}.example.test/health`,
    status: "up",
    last_status: partial.status ?? "up",
    message: "HTTP 200 OK",
    latency_ms: 42,
    checked_at: iso(5_000),
    since: iso(3_600_000),
    interval_s: 30,
    details: {},
    ...partial,
  };
}

export function overview(): Overview {
  const prod = [
    check({
      id: "payments-api",
      name: "Payments API",
      status: "down",
      message: "HTTP 503 Service Unavailable",
      tags: ["billing"],
    }),
    check({ id: "web", name: "Website", target: "https://www.example.test/" }),
  ];
  const staging = [
    check({ id: "search", name: "Search", environment: "staging", status: "degraded", message: "slow" }),
    check({ id: "auth", name: "Auth", environment: "staging" }),
  ];
  return {
    generated_at: iso(0),
    status: "down",
    counts: countStatuses([...prod, ...staging]),
    environments: [
      {
        id: "prod",
        name: "Production",
        status: worst(prod.map((c) => c.status)),
        counts: countStatuses(prod),
        checks: prod,
      },
      { id: "staging", name: "Staging", status: "degraded", counts: countStatuses(staging), checks: staging },
    ],
    uptime_24h: { "payments-api": 0.9, web: 1, search: 0.99999, auth: 0.5 },
    config: { path: "opsdeck.toml", error: null },
  };
}

export function detail(c: CheckView): CheckDetail {
  return {
    check: c,
    uptime: { h24: 0.9, d7: 0.95, d30: 0.995, y1: null },
    transitions: [{ id: c.id, from: "up", to: "down", reason: "3 failures in a row", at: iso(600_000) }],
    history: [
      { t: iso(900_000), up: 5, degraded: 0, down: 0, unknown: 0, latency_avg_ms: 40, latency_max_ms: 60 },
      { t: iso(600_000), up: 3, degraded: 0, down: 2, unknown: 0, latency_avg_ms: 80, latency_max_ms: 120 },
    ],
  };
}

export const ADMIN: Caller = { name: "ada", role: "admin" };

/** What every fake answers unless a test says otherwise: signed in as an admin, no tokens. */
const DEFAULTS: Partial<Record<Request["method"], (req: Request) => unknown>> = {
  session: () => ADMIN,
  tokens: () => [],
};

/** A backend answering from handlers, with a hand-driven event stream. */
export class FakeBackend implements Backend {
  calls: Request[] = [];
  /** Set to act as the browser transport, which has a sign-in. */
  session?: SessionControls;
  private listeners = new Set<(e: Event) => void>();
  private liveListeners = new Set<(live: boolean) => void>();

  constructor(
    private readonly handlers: Partial<Record<Request["method"], (req: Request) => unknown>>,
    /** Whether the event stream connects at once; otherwise it waits for `setLive(true)`. */
    private readonly connects = true,
  ) {}

  call<T>(request: Request): Promise<T> {
    this.calls.push(request);
    const handler = this.handlers[request.method] ?? DEFAULTS[request.method];
    if (!handler) return Promise.reject(new Error(`unexpected ${request.method}`));
    try {
      return Promise.resolve(handler(request) as T);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  subscribe(onEvent: (e: Event) => void, onLive?: (live: boolean) => void): () => void {
    this.listeners.add(onEvent);
    if (onLive) this.liveListeners.add(onLive);
    if (this.connects) onLive?.(true);
    return () => {
      this.listeners.delete(onEvent);
      if (onLive) this.liveListeners.delete(onLive);
    };
  }

  emit(event: Event) {
    for (const l of this.listeners) l(event);
  }

  /** The event stream drops (`false`) or comes back (`true`). */
  setLive(live: boolean) {
    for (const l of this.liveListeners) l(live);
  }

  count(method: Request["method"]): number {
    return this.calls.filter((c) => c.method === method).length;
  }
}

/** `size` checks spread over environments of 100, a few of them down or degraded. */
export function bigOverview(size: number): Overview {
  const environments: Overview["environments"] = [];
  const uptime: Overview["uptime_24h"] = {};
  for (let start = 0; start < size; start += 100) {
    const envId = `env-${start / 100}`;
    const checks: CheckView[] = [];
    for (let i = start; i < Math.min(size, start + 100); i++) {
      const status = i % 97 === 0 ? "down" : i % 31 === 0 ? "degraded" : "up";
      checks.push(
        check({
          id: `svc-${i}`,
          name: `Service ${i}`,
          environment: envId,
          status,
          tags: [`team-${i % 7}`],
          message: status === "up" ? "Healthy" : "HTTP 503 Service Unavailable",
        }),
      );
      uptime[`svc-${i}`] = 1;
    }
    checks.sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status]);
    environments.push({
      id: envId,
      name: `Environment ${start / 100}`,
      status: worst(checks.map((c) => c.status)),
      counts: countStatuses(checks),
      checks,
    });
  }
  environments.sort((a, b) => STATUS_RANK[b.status] - STATUS_RANK[a.status]);
  const all = environments.flatMap((e) => e.checks);
  return {
    generated_at: iso(0),
    status: worst(all.map((c) => c.status)),
    counts: countStatuses(all),
    environments,
    uptime_24h: uptime,
    config: { path: "opsdeck.toml", error: null },
  };
}
