import type { Backend, SessionControls } from "../backend";
import type { AlertsState } from "../bindings/AlertsState";
import type { AuditEntry } from "../bindings/AuditEntry";
import type { Board } from "../bindings/Board";
import type { CabCard } from "../bindings/CabCard";
import type { CabDetail } from "../bindings/CabDetail";
import type { Caller } from "../bindings/Caller";
import type { CheckDetail } from "../bindings/CheckDetail";
import type { ChannelView } from "../bindings/ChannelView";
import type { CheckView } from "../bindings/CheckView";
import type { Delivery } from "../bindings/Delivery";
import type { EnvironmentInfo } from "../bindings/EnvironmentInfo";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { Event } from "../bindings/Event";
import type { FigureHistory } from "../bindings/FigureHistory";
import type { FigurePoint } from "../bindings/FigurePoint";
import type { FigureWindow } from "../bindings/FigureWindow";
import type { InstalledSolution } from "../bindings/InstalledSolution";
import type { Movement } from "../bindings/Movement";
import type { OpenAlert } from "../bindings/OpenAlert";
import type { PartReport } from "../bindings/PartReport";
import type { QueueList } from "../bindings/QueueList";
import type { Overview } from "../bindings/Overview";
import type { Request } from "../bindings/Request";
import type { Sighting } from "../bindings/Sighting";
import type { SolutionSeen } from "../bindings/SolutionSeen";
import type { Status } from "../bindings/Status";
import type { Timeline } from "../bindings/Timeline";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import type { VersionState } from "../bindings/VersionState";
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

/**
 * What every fake answers unless a test says otherwise: signed in as an admin, no tokens, no
 * alerts, an empty timeline and no channels.
 */
const DEFAULTS: Partial<Record<Request["method"], (req: Request) => unknown>> = {
  session: () => ADMIN,
  tokens: () => [],
  alerts: (): AlertsState => ({ open: [], snoozes: [], deliveries: [] }),
  timeline: (): Timeline => ({ entries: [], before: null }),
  channels: (): ChannelView[] => [],
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

export interface QueueFixture {
  status?: Status;
  movement?: Movement;
  depth?: number;
  ready?: number;
  unacked?: number;
  consumers?: number;
  publish?: number;
  deliver?: number;
  deadLetter?: boolean;
  maxDepth?: number | null;
  /** The check (broker) id and name. */
  broker?: { id: string; name: string };
  message?: string;
  msAgo?: number;
}

const ERP_BROKER = { id: "erp-mq", name: "ERP broker" };

/** The result of one queue, as a RabbitMQ check reports it: id `CHECK/QUEUE`, name `CHECK NAME: QUEUE`. */
export function queueCheck(queue: string, f: QueueFixture = {}): CheckView {
  const broker = f.broker ?? ERP_BROKER;
  const depth = f.depth ?? 0;
  const ready = f.ready ?? depth;
  return check({
    id: `${broker.id}/${queue}`,
    name: `${broker.name}: ${queue}`,
    type: "rabbitmq",
    environment: "prod",
    target: "http://mq.example.test:15672",
    status: f.status ?? "up",
    message: f.message ?? `${f.movement ?? "idle"}: ${depth} waiting`,
    latency_ms: 12,
    checked_at: iso(f.msAgo ?? 5_000),
    details: {
      queue: {
        name: queue,
        vhost: "/",
        state: "running",
        type: "classic",
        depth,
        ready,
        unacked: f.unacked ?? depth - ready,
        consumers: f.consumers ?? 1,
        publish_rate: f.publish ?? 0,
        deliver_rate: f.deliver ?? 0,
        ack_rate: f.deliver ?? 0,
        redeliver_rate: 0,
        deliver_total: 100,
        ack_total: 100,
        redeliver_total: 0,
        dead_letter: f.deadLetter ?? false,
      },
      movement: f.movement ?? "idle",
      thresholds: {
        max_depth: f.maxDepth === undefined ? 1000 : f.maxDepth,
        stalled_after_s: 600,
        min_consumers: 1,
      },
      waiting_since: depth > 0 ? iso(900_000) : null,
      last_progress_at: iso(120_000),
      broker: "http://mq.example.test:15672",
    },
  });
}

/** Two brokers' queues in no particular order, one of each movement and several statuses. */
export function queueList(): QueueList {
  const edi = { id: "edi-mq", name: "EDI broker" };
  const queues = [
    queueCheck("erp.audit", { movement: "idle", depth: 0 }),
    queueCheck("erp.orders", {
      movement: "moving",
      depth: 120,
      ready: 100,
      unacked: 20,
      consumers: 3,
      publish: 12.5,
      deliver: 12.25,
    }),
    queueCheck("erp.invoices", { status: "down", movement: "stalled", depth: 40, consumers: 1 }),
    queueCheck("erp.orders.dlq", {
      status: "degraded",
      movement: "idle",
      depth: 3,
      deadLetter: true,
      consumers: 0,
    }),
    queueCheck("edi.inbound", {
      broker: edi,
      status: "down",
      movement: "no-consumers",
      depth: 900,
      consumers: 0,
    }),
    queueCheck("edi.outbound", { broker: edi, movement: "growing", depth: 50, publish: 3, deliver: 1 }),
    queueCheck("erp.big", { movement: "moving", depth: 500, consumers: 2, publish: 40, deliver: 41 }),
  ];
  return { queues: queues.map((c, i) => ({ check: c, sparkline: [i, i + 2, i + 1] })) };
}

/** `size` queues on a few brokers, a few of them in trouble, each with a full sparkline. */
export function bigQueueList(size: number): QueueList {
  const queues: QueueList["queues"] = [];
  for (let i = 0; i < size; i++) {
    const broker = { id: `mq-${i % 5}`, name: `Broker ${i % 5}` };
    const trouble = i % 53 === 0 ? "stalled" : i % 29 === 0 ? "growing" : null;
    const c = queueCheck(`svc.queue-${i}`, {
      broker,
      status: trouble === "stalled" ? "down" : "up",
      movement: trouble ?? (i % 3 === 0 ? "idle" : "moving"),
      depth: (i * 37) % 1000,
      publish: i % 10,
      deliver: i % 10,
    });
    const sparkline = Array.from({ length: 60 }, (_, k) => ((i + k) * 13) % 97);
    queues.push({ check: c, sparkline });
  }
  return { queues };
}

/** A figures answer: `values` one per minute up to now, raw results. */
export function figures(
  id: string,
  window: FigureWindow,
  values: readonly number[],
  more: Partial<FigurePoint> = {},
): FigureHistory {
  return {
    id,
    window,
    bucket_seconds: 0,
    points: values.map((value, i) => ({
      t: iso((values.length - i) * 60_000),
      value,
      value_max: null,
      ready: null,
      unacked: null,
      consumers: null,
      in_rate: null,
      out_rate: null,
      ack_rate: null,
      ...more,
    })),
  };
}

/** An open alert of `series`, opened `msAgo` before NOW, notified and not acknowledged. */
export function openAlert(series: string, partial: Partial<OpenAlert> = {}, msAgo = 1_800_000): OpenAlert {
  return {
    name: series,
    series,
    opened_at_ms: NOW - msAgo,
    status: "down",
    reason: "3 failures in a row",
    notified_at_ms: NOW - msAgo + 5_000,
    notified_status: "down",
    acked_at_ms: null,
    acked_by: null,
    ack_note: null,
    suppressed_by: null,
    ...partial,
  };
}

export function delivery(id: string, partial: Partial<Delivery> = {}, msAgo = 600_000): Delivery {
  return {
    id,
    channel: "support-mail",
    kind: "alert",
    title: "Payments API is down",
    series: ["payments-api"],
    state: "sent",
    attempts: 1,
    created_at: iso(msAgo),
    next_attempt_at: null,
    sent_at: iso(msAgo - 2_000),
    last_error: null,
    ...partial,
  };
}

export function timelineEntry(partial: Partial<TimelineEntry> & Pick<TimelineEntry, "kind">, msAgo = 60_000): TimelineEntry {
  return {
    at: iso(msAgo),
    series: "payments-api",
    message: "",
    actor: null,
    status: null,
    details: {},
    ...partial,
  };
}

export function channel(id: string, partial: Partial<ChannelView> = {}): ChannelView {
  return {
    id,
    name: id,
    type: "email",
    enabled: true,
    credentials: [],
    target: "support@example.test",
    ...partial,
  };
}

/** Two open alerts (one acknowledged), a snooze, and three deliveries (sent, pending, given up). */
export function alertsState(): AlertsState {
  return {
    open: [
      openAlert("search", { name: "Search", status: "degraded", reason: "slow" }, 7_200_000),
      openAlert("payments-api", { name: "Payments API" }, 1_800_000),
      openAlert(
        "auth",
        {
          name: "Auth",
          status: "down",
          acked_at_ms: NOW - 600_000,
          acked_by: "grace",
          ack_note: "restarting the app pool",
        },
        3_600_000,
      ),
    ],
    snoozes: [{ series: "web", until_ms: NOW + 4 * 3_600_000, by: "ada", note: "release tonight" }],
    deliveries: [
      delivery("n1", {}, 1_700_000),
      delivery(
        "n3",
        {
          channel: "teams-ops",
          kind: "reminder",
          title: "Auth is still down",
          series: ["auth"],
          state: "failed",
          attempts: 8,
          sent_at: null,
          last_error: "HTTP 403 Forbidden",
        },
        300_000,
      ),
      delivery(
        "n2",
        {
          channel: "support-mail",
          title: "Search is degraded",
          series: ["search"],
          state: "pending",
          attempts: 2,
          sent_at: null,
          next_attempt_at: iso(-120_000),
          last_error: "connection refused",
        },
        900_000,
      ),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// CABs: a repository like the demo's, with a CAB at every stage.

export const BEN = "Ben Developer <ben@example.com>";
export const ANNA = "Anna Approver <anna@example.com>";
export const BO = "Bo Sørensen <boss@example.com>";

/** A 40-character commit from a short tag (`fs3` → `fs3000…`). */
export const commitOf = (tag: string) => tag.padEnd(40, "0");
export const shaOf = (tag: string) => tag.padEnd(64, "a");

/** A version written by Ben `days` ago, nothing recorded about it. */
export function cabVersion(version: number, tag: string, partial: Partial<VersionState> = {}, days = 10): VersionState {
  return {
    version,
    commit: commitOf(tag),
    author: BEN,
    date: iso(days * 86_400_000),
    message: `change ${tag}`,
    uploaded_through: null,
    yours: false,
    sha256: shaOf(tag),
    approvals: [],
    rejections: [],
    installs: [],
    promoted: null,
    pull_request: null,
    promotable: false,
    waiting_for: "0 of 1 approvals",
    ...partial,
  };
}

export function placement(target: string, v: VersionState, current = true, by = BEN, daysAgo = 5) {
  return { target, version: v.version, commit: v.commit, by, at: iso(daysAgo * 86_400_000), current };
}

const ENVIRONMENTS = [
  { id: "live", name: "Live" },
  { id: "test", name: "Test" },
  { id: "dev", name: "Dev" },
];

/** A card whose newest version is `newest`; `installed` by environment id. */
export function cabCard(
  name: string,
  newest: VersionState,
  partial: Partial<CabCard> = {},
  installed: Partial<Record<string, ReturnType<typeof placement>>> = {},
): CabCard {
  return {
    name,
    path: `cabs/${name}`,
    size: 48_000,
    sha256: newest.sha256 ?? "",
    versions: newest.version,
    stage: "in-repo",
    newest,
    installed: ENVIRONMENTS.map((e) => installed[e.id] ?? null),
    promoted: null,
    epicor: [],
    ...partial,
  };
}

/** Field Service approved (v3 in Test and Dev, v2 in Live), Orders rejected, Invoicing promoted, Quotes in the repository. */
export function cabBoard(partial: Partial<Board> = {}): Board {
  const fs3 = cabVersion(3, "f3", {
    approvals: [{ by: ANNA, at: iso(86_400_000), counts: true, note: null }],
    promotable: true,
    waiting_for: null,
  });
  fs3.installs = [placement("test", fs3), placement("dev", fs3)];
  const fs2 = cabVersion(2, "f2", {}, 12);
  const or2 = cabVersion(2, "o2", {
    rejections: [{ by: BO, at: iso(86_400_000), counts: true, note: "The form does not open in Test" }],
    waiting_for: `rejected by ${BO}: The form does not open in Test`,
  });
  or2.installs = [placement("test", or2)];
  const in1 = cabVersion(1, "i1", {
    approvals: [{ by: ANNA, at: iso(86_400_000), counts: true, note: null }],
    promotable: true,
    waiting_for: null,
  });
  in1.installs = [placement("test", in1), placement("live", in1)];
  in1.promoted = placement("/srv/GHA Mods - New CABs", in1, true, BO);
  const qu1 = cabVersion(1, "q1");
  return {
    repository: "gha/epicor-cabs on bitbucket-cloud",
    branch: "main",
    head: commitOf("head1"),
    path: "cabs",
    flow: "direct",
    required_approvals: 1,
    approvers: ["anna@example.com", "boss@example.com", "dana@example.com"],
    destination: "/srv/GHA Mods - New CABs",
    environments: ENVIRONMENTS,
    roles: {
      identity: { name: "dana", display_name: "Dana Demo", email: "dana@example.com", account_id: "557058:dana" },
      approver: true,
      publisher: true,
    },
    cabs: [
      cabCard(
        "GHA Field Service.cab",
        fs3,
        { stage: "approved", size: 51_200 },
        { live: placement("live", fs2, false), test: placement("test", fs3), dev: placement("dev", fs3) },
      ),
      cabCard("GHA Invoicing.cab", in1, { stage: "promoted", promoted: in1.promoted }, {
        live: placement("live", in1),
        test: placement("test", in1),
      }),
      cabCard("GHA Orders.cab", or2, { stage: "rejected" }, { test: placement("test", or2) }),
      cabCard("GHA Quotes.cab", qu1, { stage: "in-repo", size: 18_000 }),
    ],
    ...partial,
  };
}

/**
 * What the Epicor environment `epicor` (of the matrix column `environment`) lists for a CAB:
 * by default, that it can list its solutions and holds none from the CAB, in agreement.
 */
export function sighting(
  environment: string,
  epicor: string,
  partial: Partial<Sighting> = {},
): Sighting {
  return {
    environment,
    epicor,
    epicor_name: `Epicor ${environment.charAt(0).toUpperCase()}${environment.slice(1)}`,
    known: true,
    solution: null,
    difference: null,
    ...partial,
  };
}

/** A solution as a sighting reports it. */
export function seen(solutionId: string, fileName: string, build: number | null, by = "ben"): SolutionSeen {
  return {
    solution_id: solutionId,
    file_name: fileName,
    build_iteration: build,
    changed_by: by,
    changed_on: "2025-05-20T10:00:00",
  };
}

/**
 * The CAB fixture beside Epicor: Field Service agrees in Test and Dev (build 3) and Live has
 * none, as recorded for v3 (v2 there is recorded: a difference); Orders is in Epicor Live
 * without a record; Dev has two Epicor environments, one of which cannot list its solutions.
 */
export function cabBoardWithEpicor(): Board {
  const board = cabBoard();
  const fs = seen("GHA_FieldService", "GHA Field Service.cab", 3);
  const [fieldService, invoicing, orders, quotes] = board.cabs as [CabCard, CabCard, CabCard, CabCard];
  const dev2 = { epicor_name: "Epicor Dev (old)", known: false };
  fieldService.epicor = [
    sighting("live", "erp-live", {
      difference:
        "recorded as installed in Live (version 2, by Ben Developer), but Epicor Live lists no solution from GHA Field Service.cab",
    }),
    sighting("test", "erp-test", { solution: fs }),
    sighting("dev", "erp-dev", { solution: fs }),
    sighting("dev", "erp-dev-old", dev2),
  ];
  const inv = seen("GHA_Invoicing", "GHA Invoicing.cab", 1, "dana");
  invoicing.epicor = [
    sighting("live", "erp-live", { solution: inv }),
    sighting("test", "erp-test", { solution: inv }),
    sighting("dev", "erp-dev"),
    sighting("dev", "erp-dev-old", dev2),
  ];
  orders.epicor = [
    sighting("live", "erp-live", {
      solution: seen("GHA_Orders", "GHA Orders.cab", 1, "dana"),
      difference:
        "Epicor Live has GHA_Orders installed (build 1, by dana, on 2025-05-20), but no install in Live is recorded",
    }),
    sighting("test", "erp-test", { solution: seen("GHA_Orders", "GHA Orders.cab", 2) }),
    sighting("dev", "erp-dev"),
    sighting("dev", "erp-dev-old", dev2),
  ];
  quotes.epicor = [
    sighting("live", "erp-live"),
    sighting("test", "erp-test"),
    sighting("dev", "erp-dev"),
    sighting("dev", "erp-dev-old", dev2),
  ];
  return board;
}

/** A card of `board` with its versions: the newest, and older ones with nothing recorded. */
export function cabDetailOf(board: Board, name: string, older: VersionState[] = []): CabDetail {
  const card = board.cabs.find((c) => c.name === name);
  if (!card) throw new Error(`no CAB ${name} in the fixture`);
  return { card, versions: [card.newest, ...older], more: false };
}

export function auditEntry(seq: number, partial: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    at: iso(seq * 60_000),
    actor: "Dana Demo <dana@example.com> via token ada",
    action: "install",
    outcome: "ok",
    cab: "cabs/GHA Quotes.cab",
    version: commitOf("q1"),
    detail: "version 1 installed in Dev (dev)",
    prev: "0".repeat(64),
    hash: "1".repeat(64),
    ...partial,
  };
}

// ---------------------------------------------------------------------------------------------
// Epicor environments: Live (with its SQL Server), Test on a newer patch with a solution Live
// lacks, Dev with its report server down, and a customer's Epicor 10.2 on REST v1.

const PART_NAMES = ["sign-in", "version", "health", "companies", "solutions", "sql"] as const;

/** Every part of an inspection `ok`, but those given otherwise (SQL Server skipped by default). */
export function parts(
  states: Partial<Record<(typeof PART_NAMES)[number], Omit<PartReport, "part">>> = {},
): PartReport[] {
  return PART_NAMES.map((part) => ({
    part,
    ...(states[part] ?? (part === "sql" ? { state: "skipped", message: null } : { state: "ok", message: null })),
  }));
}

export function solution(solutionId: string, fileName: string, build: number, changedBy = "ben"): InstalledSolution {
  return {
    company: "GHA",
    solution_id: solutionId,
    description: `${solutionId} customisations`,
    file_name: fileName,
    build_iteration: build,
    reference: "",
    changed_by: changedBy,
    changed_on: "2025-05-20T10:00:00",
  };
}

const HEALTHY = [
  { name: "app server", ok: true, detail: null },
  { name: "database", ok: true, detail: "answers in 4 ms" },
  { name: "report server", ok: true, detail: null },
];

export function epicorEnvironment(partial: Partial<EnvironmentInfo> & Pick<EnvironmentInfo, "id">): EnvironmentInfo {
  return {
    name: partial.id,
    environment: null,
    url: `https://${partial.id}.example.test/EpicorERP`,
    api: "v2",
    company: "GHA",
    status: "up",
    message: "Epicor 11.2.400 (patch 11.2.400.12) · 2 companies · 2 solutions",
    problems: [],
    warnings: [],
    checked_at: iso(5_000),
    latency_ms: 180,
    version: "11.2.400",
    patch_level: "11.2.400.12",
    framework_patch: "4.2.400.12",
    health: HEALTHY,
    companies: [
      { id: "GHA", name: "GHA Ltd" },
      { id: "GHAIE", name: "GHA Ireland" },
    ],
    solutions: [],
    parts: parts(),
    sql: null,
    ...partial,
  };
}

export function epicorPage(partial: Partial<EpicorPage> = {}): EpicorPage {
  const live = epicorEnvironment({
    id: "erp-live",
    name: "Epicor Live",
    environment: "prod",
    warnings: ["the database runs at compatibility level 140, below the server's 150"],
    solutions: [
      solution("GHA_Invoicing", "GHA Invoicing.cab", 1, "dana"),
      solution("GHA_Orders", "GHA Orders.cab", 1, "dana"),
    ],
    parts: parts({ sql: { state: "ok", message: null } }),
    sql: {
      server: "sql-live\\EPICOR",
      product_version: "15.0.4355.3",
      product: "SQL Server 2019",
      major_version: 15,
      product_level: "RTM",
      update_level: "CU18",
      update_reference: "KB5017593",
      edition: "Standard Edition (64-bit)",
      database: {
        name: "EpicorLive",
        compatibility_level: 140,
        server_compatibility_level: 150,
        state: "ONLINE",
        recovery_model: "FULL",
        data_mb: 51_200,
        log_mb: 2_048,
        last_full_backup: { finished: "2025-06-01T04:00:00.000", age_minutes: 600 },
        last_differential_backup: null,
        last_log_backup: { finished: "2025-06-01T13:45:00.000", age_minutes: 15 },
        backup_history_error: null,
      },
      lifecycle: { product: "SQL Server 2019", mainstream_end: "2025-02-28", extended_end: "2030-01-08" },
    },
  });
  const testSolutions = [
    solution("GHA_Invoicing", "GHA Invoicing.cab", 1),
    solution("GHA_Orders", "GHA Orders.cab", 2),
    solution("GHA_FieldService", "GHA Field Service.cab", 3),
  ];
  const test = epicorEnvironment({
    id: "erp-test",
    name: "Epicor Test",
    environment: "test",
    message: "Epicor 11.2.400 (patch 11.2.400.14) · 2 companies · 3 solutions",
    patch_level: "11.2.400.14",
    solutions: testSolutions,
  });
  const dev = epicorEnvironment({
    id: "erp-dev",
    name: "Epicor Dev",
    environment: "dev",
    status: "degraded",
    message: "the report server is not alive: HTTP 500",
    problems: ["the report server is not alive: HTTP 500", "sign-in took 4.2 s"],
    patch_level: "11.2.400.14",
    health: [
      HEALTHY[0]!,
      HEALTHY[1]!,
      { name: "report server", ok: false, detail: "HTTP 500: The report server did not answer." },
    ],
    companies: [{ id: "GHA", name: "GHA Ltd" }],
    solutions: testSolutions,
    parts: parts({ sql: { state: "failed", message: "cannot reach sql-dev:1433: connection refused" } }),
  });
  const customer = epicorEnvironment({
    id: "erp-98411",
    name: "Customer 98411 (Epicor 10.2)",
    environment: "cust-98411",
    api: "v1",
    company: null,
    message: "Epicor 10.2.500 (patch 10.2.500.31) · 1 company",
    version: "10.2.500",
    patch_level: "10.2.500.31",
    framework_patch: "3.2.500.31",
    health: [],
    companies: [{ id: "98411", name: "Customer 98411" }],
    parts: parts({
      health: { state: "not-available", message: "not available on this version" },
      solutions: { state: "not-available", message: "not available on this version" },
    }),
  });
  return {
    environments: [live, test, dev, customer],
    comparison: {
      columns: ["erp-live", "erp-test", "erp-dev", "erp-98411"],
      facts: [
        { label: "Epicor version", values: ["11.2.400", "11.2.400", "11.2.400", "10.2.500"], drift: true },
        { label: "Patch level", values: ["11.2.400.12", "11.2.400.14", "11.2.400.14", "10.2.500.31"], drift: true },
        { label: "SQL Server", values: ["SQL Server 2019 CU18", null, null, null], drift: false },
        { label: "SQL Server version", values: [null, null, null, null], drift: false },
        { label: "Companies", values: ["GHA, GHAIE", "GHA, GHAIE", "GHA", "98411"], drift: true },
      ],
      solutions: [
        {
          solution_id: "GHA_FieldService",
          values: [null, "build 3 · GHA Field Service.cab", "build 3 · GHA Field Service.cab", null],
          drift: true,
          missing_in: ["erp-live"],
          cab: "GHA Field Service.cab",
        },
        {
          solution_id: "GHA_Invoicing",
          values: ["build 1 · GHA Invoicing.cab", "build 1 · GHA Invoicing.cab", "build 1 · GHA Invoicing.cab", null],
          drift: false,
          missing_in: [],
          cab: "GHA Invoicing.cab",
        },
        {
          solution_id: "GHA_Orders",
          values: ["build 1 · GHA Orders.cab", "build 2 · GHA Orders.cab", "build 2 · GHA Orders.cab", null],
          drift: true,
          missing_in: [],
          cab: "GHA Orders.cab",
        },
      ],
    },
    cab_workflow: true,
    cab_problem: null,
    ...partial,
  };
}
