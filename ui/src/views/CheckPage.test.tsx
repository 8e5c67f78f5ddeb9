import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { History } from "../bindings/History";
import type { Request } from "../bindings/Request";
import { BackendError } from "../backend";
import type { CheckView } from "../bindings/CheckView";
import type { FigureWindow } from "../bindings/FigureWindow";
import type { Role } from "../bindings/Role";
import type { Timeline } from "../bindings/Timeline";
import {
  alertsState,
  check,
  detail,
  epicorPage,
  FakeBackend,
  figures,
  NOW,
  openAlert,
  overview,
  queueCheck,
  timelineEntry,
} from "../test/fixtures";

const payments = check({
  id: "payments-api",
  name: "Payments API",
  status: "down",
  message: "HTTP 503 Service Unavailable",
  details: {
    format: "aspnet-json",
    entries: [
      {
        name: "sqlserver",
        status: "down",
        duration_ms: 1503.2,
        description: "Timeout",
        exception: "System.TimeoutException: boom",
        tags: ["db"],
        data: {},
      },
      { name: "redis", status: "up", duration_ms: 2, description: null, exception: null, tags: [], data: {} },
    ],
    tls: { not_after: "2025-06-11T12:00:00Z", days_left: 10 },
    warnings: ["tls_insecure: certificate verification is turned off for this check"],
  },
});

describe("Check detail", () => {
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    backend = new FakeBackend({
      overview: () => overview(),
      check_detail: () => detail(payments),
      history: (req: Request): History => ({
        id: "payments-api",
        window: req.method === "history" ? req.params.window : "24h",
        bucket_seconds: 3600,
        points: [],
      }),
      check_now: () => [
        {
          ...payments,
          status: "up",
          message: "HTTP 200 OK",
          latency_ms: 12,
          checked_at: new Date(NOW).toISOString(),
        },
      ],
    });
    window.location.hash = "#/check/payments-api";
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows status, uptime, entries, TLS, warnings, chart and transitions", async () => {
    render(<App backend={backend} />);

    expect(await screen.findByRole("heading", { level: 1, name: "Payments API" })).toBeTruthy();
    await screen.findByRole("heading", { name: "Uptime" });
    expect(backend.calls).toContainEqual({ method: "check_detail", params: { id: "payments-api" } });

    const uptime = screen.getByRole("heading", { name: "Uptime" }).parentElement!;
    expect(within(uptime).getByText("90%")).toBeTruthy();
    expect(within(uptime).getByText("99.5%")).toBeTruthy();

    const table = screen.getByRole("table");
    expect(within(table).getByRole("rowheader", { name: "sqlserver" })).toBeTruthy();
    expect(within(table).getByText("1.5 s")).toBeTruthy();
    expect(within(table).getByText("Timeout")).toBeTruthy();
    expect(within(table).getByText("System.TimeoutException: boom")).toBeTruthy();

    expect(screen.getByText(/expires in 10 days/)).toBeTruthy();
    expect(screen.getByText(/certificate verification is turned off/)).toBeTruthy();
    expect(screen.getByRole("img", { name: /Average latency .* from 40 ms to 80 ms/ })).toBeTruthy();
    expect(screen.getByText("3 failures in a row")).toBeTruthy();
  });

  it("loads another history window", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("heading", { name: "Uptime" });

    const week = screen.getByRole("button", { name: "Show last 7 days" });
    fireEvent.click(week);

    expect(week.getAttribute("aria-pressed")).toBe("true");
    await screen.findByText("No latency data in this window.");
    expect(backend.calls).toContainEqual({ method: "history", params: { id: "payments-api", window: "7d" } });
  });

  it("runs the check now and refreshes the detail", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("heading", { name: "Uptime" });
    expect(backend.count("check_detail")).toBe(1);

    fireEvent.click(screen.getByRole("button", { name: "Check now" }));

    await waitFor(() => expect(backend.count("check_detail")).toBe(2));
    expect(backend.calls).toContainEqual({ method: "check_now", params: { id: "payments-api" } });
    const outcome = (await screen.findByText(/HTTP 200 OK/)).closest("[role=status]");
    expect(outcome?.textContent).toContain("Up");
    expect(outcome?.textContent).toContain("12 ms");
  });

  it("says so when the check does not exist", async () => {
    backend = new FakeBackend({
      overview: () => overview(),
      check_detail: () => {
        throw new BackendError({ code: "not_found", message: "no such check" }, 404);
      },
    });
    window.location.hash = "#/check/gone";
    render(<App backend={backend} />);

    expect((await screen.findByRole("alert")).textContent).toContain("There is no check “gone”");
  });

  it("goes back to the overview", async () => {
    render(<App backend={backend} />);
    fireEvent.click(await screen.findByRole("link", { name: "← All checks" }));
    window.location.hash = "#/";
    await screen.findByRole("searchbox", { name: "Search checks" });
  });
});

describe("A check whose credential cannot be read", () => {
  const needsToken = check({
    id: "search",
    name: "Search",
    environment: "staging",
    status: "unknown",
    message: "credential search-token is not in the keychain",
    details: { error: "credential", credential: { name: "search-token", problem: "missing" } },
  });

  function backendWith(role: "admin" | "viewer", credential = needsToken) {
    const o = overview();
    o.environments[1]!.checks[0] = credential;
    let fixed = false;
    return new FakeBackend({
      overview: () => o,
      session: () => ({ name: "someone", role }),
      check_detail: () =>
        detail(fixed ? { ...credential, status: "up", message: "HTTP 200 OK", details: {} } : credential),
      set_credential: () => {
        fixed = true;
        return { editable: true, credentials: [] };
      },
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("says which credential is missing and lets an admin set it", async () => {
    window.location.hash = "#/check/search";
    const backend = backendWith("admin");
    render(<App backend={backend} />);

    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(callout.textContent).toContain("Credential search-token is not in the keychain.");
    fireEvent.click(within(callout).getByRole("button", { name: "Set credential" }));

    const dialog = screen.getByRole("dialog", { name: "Set credential" });
    const value = within(dialog).getByLabelText<HTMLInputElement>("Value");
    expect(value.value).toBe("");
    fireEvent.change(value, { target: { value: "t0ken" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(backend.count("check_detail")).toBe(2));
    expect(backend.calls).toContainEqual({
      method: "set_credential",
      params: { name: "search-token", value: "t0ken" },
    });
    await waitFor(() => expect(screen.queryByRole("region", { name: "Credential problem" })).toBeNull());
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByText(/Stored credential search-token/)).toBeTruthy();
  });

  it("shows the result's message for a locked keychain", async () => {
    window.location.hash = "#/check/search";
    const locked = {
      ...needsToken,
      message: "The keychain is locked: unlock it and check again",
      details: { error: "credential", credential: { name: "search-token", problem: "locked" } },
    };
    render(<App backend={backendWith("admin", locked)} />);
    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(callout.textContent).toContain("The keychain is locked: unlock it and check again");
    expect(within(callout).queryByRole("button", { name: "Set credential" })).toBeNull();
  });

  it("offers no Set credential to a viewer", async () => {
    window.location.hash = "#/check/search";
    render(<App backend={backendWith("viewer")} />);
    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(within(callout).queryByRole("button")).toBeNull();
    expect(callout.textContent).toContain("Ask an admin to set it.");
  });

  it("marks the check on the overview", async () => {
    render(<App backend={backendWith("viewer")} />);
    const link = await screen.findByRole("link", { name: "Search" });
    const row = link.closest("li")!;
    expect(within(row).getByText("credential missing")).toBeTruthy();
    const website = screen.getByRole("link", { name: "Website" }).closest("li")!;
    expect(within(website).queryByText(/credential/)).toBeNull();
  });
});

/** A backend for the page of `c`, whose figures are `values` (one a minute) in every window. */
function pageOf(c: CheckView, values: number[], more: Parameters<typeof figures>[3] = {}) {
  window.location.hash = `#/check/${encodeURIComponent(c.id)}`;
  return new FakeBackend({
    overview: () => overview(),
    check_detail: () => detail(c),
    figures: (req: Request) => {
      const w: FigureWindow = req.method === "figures" ? req.params.window : "6h";
      return figures(c.id, w, values, more);
    },
  });
}

describe("A queue's page", () => {
  const orders = queueCheck("erp.orders", {
    movement: "moving",
    depth: 120,
    ready: 100,
    unacked: 20,
    consumers: 3,
    publish: 12.5,
    deliver: 12.25,
  });

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("sums up the queue: movement, depth, consumers, rates, waiting, thresholds, broker", async () => {
    render(<App backend={pageOf(orders, [100, 400, 900], { in_rate: 2, out_rate: 1, ack_rate: 1 })} />);

    const section = (await screen.findByRole("heading", { name: "Queue" })).parentElement!;
    expect(within(section).getByText("Moving")).toBeTruthy();
    expect(within(section).getByText("Messages are being delivered.")).toBeTruthy();
    expect(within(section).getByText("120 messages (100 ready, 20 unacknowledged)")).toBeTruthy();
    expect(section.textContent).toContain("in 12.5, out 12.3, acknowledged 12.3");
    expect(section.textContent).toContain("for 15 min");
    expect(section.textContent).toContain("2 min ago");
    expect(section.textContent).toContain("at most 1,000 messages; stalled after 10 min; at least 1 consumer");
    expect(section.textContent).toContain("http://mq.example.test:15672, vhost /");
  });

  it("charts depth against max_depth, and the rates", async () => {
    const backend = pageOf(orders, [100, 400, 900], { in_rate: 2, out_rate: 1, ack_rate: 1 });
    render(<App backend={backend} />);

    const depth = await screen.findByRole("img", { name: /^Messages in the queue, last 6 hours/ });
    expect(depth.getAttribute("aria-label")).toContain("Depth from 100 to 900");
    expect(depth.getAttribute("aria-label")).toContain("Lines: max depth 1,000.");
    const threshold = depth.querySelector("line.chart-threshold-limit");
    expect(threshold).toBeTruthy();
    // One path per series, never an element per point.
    expect(depth.querySelectorAll("path")).toHaveLength(1);
    const figure = depth.closest("figure")!;
    expect(within(figure).getAllByText("max depth 1,000").length).toBeGreaterThan(0);

    const rates = screen.getByRole("img", { name: /^Messages per second/ });
    expect(rates.getAttribute("aria-label")).toContain("In (published) 2.0/s");
    expect(rates.querySelectorAll("path")).toHaveLength(3);
    expect(backend.calls).toContainEqual({
      method: "figures",
      params: { id: "erp-mq/erp.orders", window: "6h" },
    });
  });

  it("loads the figures of the window picked", async () => {
    const backend = pageOf(orders, [1, 2]);
    render(<App backend={backend} />);
    await screen.findByRole("img", { name: /last 6 hours/ });

    const week = screen.getByRole("button", { name: "Show depth and rates for the last 7 days" });
    fireEvent.click(week);

    expect(week.getAttribute("aria-pressed")).toBe("true");
    expect(backend.calls).toContainEqual({
      method: "figures",
      params: { id: "erp-mq/erp.orders", window: "7d" },
    });
    // One minute apart, the points are in the last few minutes of the week.
    await screen.findByRole("img", { name: /^Messages in the queue, last 7 days/ });
  });

  it("fetches the figures again when a new result arrives", async () => {
    const backend = pageOf(orders, [1, 2]);
    render(<App backend={backend} />);
    await screen.findByRole("img", { name: /last 6 hours/ });
    expect(backend.count("figures")).toBe(1);

    act(() =>
      backend.emit({
        kind: "result",
        check: { ...orders, checked_at: new Date(NOW + 30_000).toISOString() },
      }),
    );
    await waitFor(() => expect(backend.count("figures")).toBe(2));
  });
});

describe("A heartbeat file's page", () => {
  const beat = (details: Record<string, unknown>, status: CheckView["status"] = "up") =>
    check({
      id: "ap-automation",
      name: "AP Automation heartbeat",
      type: "heartbeat-file",
      target: "\\\\fileserver\\logs\\heartbeat.txt",
      status,
      details: { path: "\\\\fileserver\\logs\\heartbeat.txt", source: "mtime", max_age_s: 900, ...details },
    });

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("says how long ago the last beat was, and charts its age against the limits", async () => {
    const fresh = beat({
      state: "fresh",
      last_beat: new Date(NOW - 300_000).toISOString(),
      age_s: 300,
      warn_age_s: 600,
    });
    render(<App backend={pageOf(fresh, [60, 300, 120])} />);

    const section = (await screen.findByRole("heading", { name: "Heartbeat" })).parentElement!;
    expect(within(section).getByText("Last beat 5 min ago")).toBeTruthy();
    expect(section.textContent).toContain("Fresh: the last beat is recent enough.");
    expect(section.textContent).toContain("15 min (late after 10 min)");
    expect(section.textContent).toContain("the file's modification time");

    const chart = await screen.findByRole("img", { name: /^Age of the last beat/ });
    expect(chart.getAttribute("aria-label")).toContain("Lines: warning age 10 min; max age 15 min.");
    expect(chart.querySelector("line.chart-threshold-warn")).toBeTruthy();
    expect(chart.querySelector("line.chart-threshold-limit")).toBeTruthy();
  });

  it.each([
    ["missing", "Missing: the file does not exist."],
    ["unreadable", "Unreadable: the file is there but cannot be read"],
    ["unparsable", "Unparsable: the file holds no time opsdeck can read"],
    ["future", "In the future: the last beat is later than this machine's clock"],
    ["stale", "Stale: the last beat is older than the maximum age"],
  ])("explains the %s state in words", async (state, words) => {
    render(<App backend={pageOf(beat({ state }, "down"), [])} />);
    const section = (await screen.findByRole("heading", { name: "Heartbeat" })).parentElement!;
    expect(section.textContent).toContain(words);
  });
});

describe("A push check's page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows the last push, its message and the expected period", async () => {
    const job = check({
      id: "nightly-import",
      name: "Nightly import",
      type: "push",
      target: null,
      details: {
        state: "on-time",
        period_s: 86_400,
        grace_s: 1800,
        last_push_at: new Date(NOW - 7_200_000).toISOString(),
        age_s: 7200,
        pushed_status: "degraded",
        pushed_message: "imported 120 of 121 files",
      },
    });
    const backend = pageOf(job, []);
    render(<App backend={backend} />);

    const section = (await screen.findByRole("heading", { name: "Push" })).parentElement!;
    expect(section.textContent).toContain("On time");
    expect(within(section).getByText("Last push 2 h ago")).toBeTruthy();
    expect(within(section).getByText("imported 120 of 121 files")).toBeTruthy();
    expect(within(section).getByText("Degraded")).toBeTruthy();
    expect(section.textContent).toContain("every 24 h, with 30 min of grace");
    // Pushes have no figures to chart.
    expect(backend.count("figures")).toBe(0);
  });
});

describe("A Prometheus result's page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows value, labels, query and thresholds, and charts the value with its threshold lines", async () => {
    const lag = check({
      id: "replication-lag/db1",
      name: "Replication lag: db1",
      type: "prometheus",
      status: "degraded",
      details: {
        value: 42.5,
        labels: { instance: "db1:9187", job: "postgres" },
        sampled_at: new Date(NOW - 10_000).toISOString(),
        query: "pg_replication_lag_seconds",
        thresholds: { degraded_above: 30, down_above: 120, degraded_below: null, down_below: null },
        warnings: [],
      },
    });
    render(<App backend={pageOf(lag, [10, 42.5, 35])} />);

    const section = (await screen.findByRole("heading", { name: "Sample" })).parentElement!;
    expect(within(section).getByText("42.5")).toBeTruthy();
    expect(within(section).getByText('instance="db1:9187"')).toBeTruthy();
    expect(within(section).getByText("pg_replication_lag_seconds")).toBeTruthy();
    expect(section.textContent).toContain("down above 120; degraded above 30");

    const chart = await screen.findByRole("img", { name: /^Sampled value/ });
    expect(chart.getAttribute("aria-label")).toContain("Value from 10 to 42.5");
    expect(chart.getAttribute("aria-label")).toContain("down above 120; degraded above 30");
    expect(chart.querySelectorAll("line.chart-threshold")).toHaveLength(2);
  });
});

describe("A check's alerts", () => {
  const payments = check({ id: "payments-api", name: "Payments API", status: "down" });
  const TIMELINE: Timeline = {
    entries: [
      timelineEntry({ kind: "note", message: "DBA paged", actor: "grace" }, 120_000),
      timelineEntry({ kind: "delivered", message: "alert delivered to `support-mail`" }, 1_690_000),
      timelineEntry({ kind: "transition", message: "3 failures in a row", status: "down" }, 1_800_000),
    ],
    before: "2025-06-01T11:30:00Z",
  };

  function backendFor(role: Role, alerts = alertsState(), handlers: ConstructorParameters<typeof FakeBackend>[0] = {}) {
    window.location.hash = "#/check/payments-api";
    return new FakeBackend({
      overview: () => overview(),
      session: () => ({ name: `someone-${role}`, role }),
      check_detail: () => detail(payments),
      alerts: () => alerts,
      timeline: (req) =>
        req.method === "timeline" && req.params.before !== null
          ? { entries: [timelineEntry({ kind: "snoozed", message: "snoozed for 1h", actor: "ada" }, 7_200_000)], before: null }
          : TIMELINE,
      acknowledge: () => null,
      snooze: () => null,
      add_note: () => null,
      ...handlers,
    });
  }

  const section = () => screen.getByRole("region", { name: "Alerts" });
  /** The first line of the section: the open alert, or that there is none. */
  const alertLine = () => section().querySelector(".alert-state, .muted")?.textContent;
  const noticeText = () => document.querySelector(".detail-status")?.textContent;

  function params<M extends Request["method"]>(backend: FakeBackend, method: M) {
    return backend.calls
      .filter((c): c is Extract<Request, { method: M }> => c.method === method)
      .map((c) => ("params" in c ? c.params : undefined));
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows the check's timeline, 20 entries at a time", async () => {
    const backend = backendFor("viewer");
    render(<App backend={backend} />);
    const list = await screen.findByRole("list", { name: "Timeline of Payments API" });
    const items = within(list).getAllByRole("listitem");
    expect(items.map((li) => li.querySelector(".timeline-kind")?.textContent)).toEqual([
      "Note",
      "Delivered",
      "Status changed to Down",
    ]);
    expect(items[0]!.textContent).toContain("DBA paged by grace");
    // Its own entries need no link to the page they are on.
    expect(within(list).queryByRole("link")).toBeNull();
    expect(params(backend, "timeline")).toEqual([{ id: "payments-api", before: null, limit: 20 }]);

    fireEvent.click(within(section()).getByRole("button", { name: "Older timeline entries" }));
    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(4));
    expect(params(backend, "timeline")[1]).toEqual({ id: "payments-api", before: "2025-06-01T11:30:00Z", limit: 20 });
  });

  it("says where the open alert stands", async () => {
    render(<App backend={backendFor("viewer")} />);
    await screen.findByRole("list", { name: "Timeline of Payments API" });
    await waitFor(() => expect(alertLine()).toBe("Open alert, for 30 min: notified"));
    expect(screen.getByRole("heading", { level: 1, name: "Payments API" })).toBeTruthy();
  });

  it("says why its alerts are held back", async () => {
    const state = alertsState();
    state.open = [openAlert("payments-api", { name: "Payments API", suppressed_by: "suppressed by auth", notified_at_ms: null })];
    render(<App backend={backendFor("viewer", state)} />);
    expect(await screen.findByText("Alerts held back: suppressed by auth")).toBeTruthy();
    expect(alertLine()).toBe("Open alert, for 30 min: not notified yet");
  });

  it("offers a viewer nothing to do", async () => {
    render(<App backend={backendFor("viewer")} />);
    await screen.findByRole("list", { name: "Timeline of Payments API" });
    await within(section()).findByText(/Open alert/);
    expect(within(section()).queryByRole("button", { name: /Acknowledge|End snooze/ })).toBeNull();
    expect(within(section()).queryByRole("group", { name: /Snooze/ })).toBeNull();
    expect(within(section()).queryByRole("textbox", { name: "Note" })).toBeNull();
  });

  it("lets an operator acknowledge the open alert", async () => {
    const backend = backendFor("operator");
    render(<App backend={backend} />);
    const button = await within(await screen.findByRole("region", { name: "Alerts" })).findByRole("button", {
      name: "Acknowledge Payments API",
    });
    fireEvent.click(button);
    const dialog = screen.getByRole("dialog", { name: "Acknowledge alert" });
    fireEvent.change(within(dialog).getByLabelText("Note (optional)"), { target: { value: "failing over" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "acknowledge")).toEqual([{ id: "payments-api", note: "failing over" }]);
    expect(noticeText()).toBe("Acknowledged Payments API (“failing over”). Reminders stop until it recovers.");
  });

  it("offers no Acknowledge without an open alert, but snoozing still", async () => {
    const state = alertsState();
    state.open = [];
    const backend = backendFor("operator", state);
    render(<App backend={backend} />);
    await within(await screen.findByRole("region", { name: "Alerts" })).findByText("No open alert.");
    expect(within(section()).queryByRole("button", { name: /Acknowledge/ })).toBeNull();

    fireEvent.click(within(section()).getByRole("button", { name: "Snooze Payments API for 1 hour" }));
    await waitFor(() => expect(params(backend, "snooze")).toEqual([{ id: "payments-api", minutes: 60, note: null }]));
    await waitFor(() => expect(noticeText()).toBe("Snoozed Payments API for 1 hour: its alerts are held back until then."));
  });

  it("shows the snooze and ends it", async () => {
    const state = alertsState();
    state.snoozes = [{ series: "payments-api", until_ms: NOW + 3_600_000, by: "ada", note: "deploy" }];
    const backend = backendFor("operator", state);
    render(<App backend={backend} />);
    const line = await within(await screen.findByRole("region", { name: "Alerts" })).findByText(/^Snoozed until/);
    expect(line.textContent).toMatch(/^Snoozed until 1 Jun 2025, \d{2}:00:00 \(60 min left\) by ada: deploy$/);

    fireEvent.click(within(section()).getByRole("button", { name: "End snooze of Payments API" }));
    await waitFor(() => expect(params(backend, "snooze")).toEqual([{ id: "payments-api", minutes: null, note: null }]));
  });

  it("adds a note to the timeline", async () => {
    let noted: string | null = null;
    const backend = backendFor("operator", alertsState(), {
      add_note: (req) => {
        if (req.method === "add_note") noted = req.params.text;
        return null;
      },
    });
    render(<App backend={backend} />);
    const note = await within(await screen.findByRole("region", { name: "Alerts" })).findByRole("textbox", {
      name: "Note",
    });
    await screen.findByRole("list", { name: "Timeline of Payments API" });
    expect(backend.count("timeline")).toBe(1);

    // Nothing to send yet.
    fireEvent.click(within(section()).getByRole("button", { name: "Add note" }));
    expect(within(section()).getByRole("alert").textContent).toBe("Write the note first.");
    expect(note.getAttribute("aria-invalid")).toBe("true");
    expect(backend.count("add_note")).toBe(0);

    fireEvent.change(note, { target: { value: " Restarted the app pool on web-02 " } });
    fireEvent.click(within(section()).getByRole("button", { name: "Add note" }));

    await waitFor(() => expect(noticeText()).toBe("Added a note to the timeline of Payments API."));
    expect(params(backend, "add_note")).toEqual([{ id: "payments-api", text: "Restarted the app pool on web-02" }]);
    expect(noted).toBe("Restarted the app pool on web-02");
    expect((note as HTMLInputElement).value).toBe("");
    expect(within(section()).queryByRole("alert")).toBeNull();
    // The timeline is fetched again, to show it.
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(backend.count("timeline")).toBe(2);
  });

  it("fetches its alerts again when this check changes status, not for others", async () => {
    const backend = backendFor("viewer");
    render(<App backend={backend} />);
    await screen.findByRole("list", { name: "Timeline of Payments API" });
    expect(backend.count("alerts")).toBe(1);
    const at = new Date(NOW).toISOString();

    act(() => backend.emit({ kind: "transition", transition: { id: "web", from: "up", to: "down", reason: "x", at } }));
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("alerts")).toBe(1);

    act(() =>
      backend.emit({ kind: "transition", transition: { id: "payments-api", from: "down", to: "up", reason: "ok", at } }),
    );
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("alerts")).toBe(2);
    expect(backend.count("timeline")).toBe(2);
  });
});

describe("An Epicor environment's page", () => {
  const [live, , dev, customer] = epicorPage().environments;
  const epicorCheck = (env: NonNullable<typeof live>, details: Record<string, unknown> = { ...env }) =>
    check({
      id: env.id,
      name: env.name,
      type: "epicor",
      target: env.url,
      status: env.status,
      message: env.message,
      details,
    });
  const section = async () => (await screen.findByRole("heading", { name: "Epicor environment" })).closest("section")!;
  const fact = (el: HTMLElement, label: string) =>
    [...el.querySelectorAll("dt")].find((dt) => dt.textContent === label)?.nextElementSibling?.textContent;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("sums up the inspection: release, health, companies, solutions, SQL Server and its last full backup", async () => {
    render(<App backend={pageOf(epicorCheck(live!), [])} />);
    const block = await section();
    expect(fact(block, "Release")).toBe("11.2.400 · patch 11.2.400.12");
    expect(within(block).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "the database runs at compatibility level 140, below the server's 150",
      "✓App server: OK",
      "✓Database: OKanswers in 4 ms",
      "✓Report server: OK",
    ]);
    expect(fact(block, "Companies")).toBe("2 companies");
    expect(fact(block, "Solutions")).toBe("2 solutions");
    expect(fact(block, "SQL Server")).toBe("SQL Server 2019 CU18Last full backup 10 h ago");
    const link = within(block).getByRole("link", { name: "Open on the Environments page" });
    expect(link.getAttribute("href")).toBe("#/environments");
    // The warning is said once, in the block, not again in the page's banner.
    expect(screen.getAllByText("the database runs at compatibility level 140, below the server's 150")).toHaveLength(1);
    expect(screen.queryByRole("region", { name: "Warnings" })).toBeNull();
  });

  it("lists the problems beyond the verdict, a failed health endpoint and why SQL Server is not known", async () => {
    render(<App backend={pageOf(epicorCheck(dev!), [])} />);
    const block = await section();
    const problems = within(block).getByRole("list", { name: "Problems" });
    // The verdict is the page's message already.
    expect(within(problems).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["sign-in took 4.2 s"]);
    expect(block.querySelector('[data-health="report server"]')?.textContent).toContain("Report server: failed");
    expect(fact(block, "Companies")).toBe("1 company");
    expect(fact(block, "Solutions")).toBe("3 solutions");
    expect(fact(block, "SQL Server")).toBe("cannot reach sql-dev:1433: connection refused");
  });

  it("says what an Epicor 10.2 does not offer, plainly", async () => {
    render(<App backend={pageOf(epicorCheck(customer!), [])} />);
    const block = await section();
    expect(fact(block, "Release")).toBe("10.2.500 · patch 10.2.500.31");
    expect(fact(block, "Health")).toBe("not available on this version");
    expect(fact(block, "Solutions")).toBe("not available on this version");
    expect(fact(block, "SQL Server")).toBe("not configured");
    expect(block.querySelector(".env-failed")).toBeNull();
  });

  it("shows no block for a result that is not an inspection", async () => {
    const timedOut = epicorCheck(live!, { warnings: ["the check timed out after 5 s"] });
    render(<App backend={pageOf(timedOut, [])} />);
    await screen.findByRole("heading", { name: "Uptime" });
    expect(screen.queryByRole("heading", { name: "Epicor environment" })).toBeNull();
    expect(screen.getByRole("region", { name: "Warnings" }).textContent).toContain("the check timed out after 5 s");
  });
});
