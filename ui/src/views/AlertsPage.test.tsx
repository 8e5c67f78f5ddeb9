import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { BackendError } from "../backend";
import type { AlertsState } from "../bindings/AlertsState";
import type { Request } from "../bindings/Request";
import type { Role } from "../bindings/Role";
import type { Timeline } from "../bindings/Timeline";
import {
  alertsState,
  channel,
  FakeBackend,
  NOW,
  openAlert,
  overview,
  timelineEntry,
} from "../test/fixtures";

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

const FIRST_PAGE: Timeline = {
  entries: [
    timelineEntry({ kind: "acknowledged", series: "auth", message: "acknowledged: restarting the app pool", actor: "grace" }, 600_000),
    timelineEntry({ kind: "delivered", series: "payments-api", message: "alert delivered to `support-mail`" }, 1_690_000),
    timelineEntry({ kind: "transition", series: "payments-api", message: "3 failures in a row", status: "down" }, 1_800_000),
    timelineEntry({ kind: "test", series: null, message: "test notification sent to `support-mail`", actor: "ada" }, 2_000_000),
  ],
  before: "2025-06-01T11:26:40Z",
};
const OLDER_PAGE: Timeline = {
  entries: [timelineEntry({ kind: "snoozed", series: "web", message: "snoozed for 4h", actor: "ada" }, 4_000_000)],
  before: null,
};

function params<M extends Request["method"]>(backend: FakeBackend, method: M) {
  return backend.calls
    .filter((c): c is Extract<Request, { method: M }> => c.method === method)
    .map((c) => ("params" in c ? c.params : undefined));
}

function alertsBackend(handlers: Handlers = {}, role: Role = "operator") {
  window.location.hash = "#/alerts";
  return new FakeBackend({
    overview: () => overview(),
    session: () => ({ name: `someone-${role}`, role }),
    alerts: () => alertsState(),
    timeline: (req) => (req.method === "timeline" && req.params.before !== null ? OLDER_PAGE : FIRST_PAGE),
    channels: () => [
      channel("support-mail", { name: "Support mail", target: "support@example.test", credentials: ["smtp-password"] }),
      channel("teams-ops", { type: "teams", target: null, enabled: false }),
    ],
    acknowledge: () => null,
    snooze: () => null,
    test_channel: () => null,
    ...handlers,
  });
}

const region = (name: string) => screen.getByRole("region", { name });
const openList = () => within(region("Open alerts")).getByRole("list", { name: "Open alerts" });
const alertItem = (name: string) => within(openList()).getByRole("listitem", { name });
const status = () => screen.getAllByRole("status").find((s) => s.classList.contains("settings-status"))!;

async function renderAlerts(backend: FakeBackend) {
  render(<App backend={backend} />);
  await screen.findByRole("list", { name: "Open alerts" });
}

describe("Alerts page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("is in the main navigation, between Queues and CABs", async () => {
    await renderAlerts(alertsBackend({}, "admin"));
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual([
      "Overview",
      "Queues",
      "Alerts",
      "CABs",
      "Environments",
      "Credentials",
      "Settings",
    ]);
    const link = within(nav).getByRole("link", { name: "Alerts" });
    expect(link.getAttribute("href")).toBe("#/alerts");
    expect(link.getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("heading", { level: 1, name: "Alerts" })).toBeTruthy();
  });

  it("lists open alerts worst and oldest first, with how long and where each stands", async () => {
    await renderAlerts(alertsBackend());

    const names = within(openList())
      .getAllByRole("listitem")
      .map((li) => li.querySelector(".alert-name")?.textContent);
    expect(names).toEqual(["Auth", "Payments API", "Search"]);

    const payments = alertItem("Payments API");
    expect(within(payments).getByText("Down")).toBeTruthy();
    expect(within(payments).getByRole("link", { name: "Payments API" }).getAttribute("href")).toBe(
      "#/check/payments-api",
    );
    expect(within(payments).getByText("open for 30 min")).toBeTruthy();
    expect(within(payments).getByText("3 failures in a row")).toBeTruthy();
    expect(within(payments).getByText("notified")).toBeTruthy();

    expect(within(alertItem("Auth")).getByText("acknowledged by grace: restarting the app pool")).toBeTruthy();
    expect(within(alertItem("Search")).getByText("Degraded")).toBeTruthy();
  });

  it("says when an alert is held back or not sent yet", async () => {
    const state: AlertsState = {
      ...alertsState(),
      open: [
        openAlert("payments-api", { name: "Payments API", suppressed_by: "suppressed by auth" }),
        openAlert("search", { name: "Search", notified_at_ms: null, notified_status: null }),
      ],
    };
    await renderAlerts(alertsBackend({ alerts: () => state }));
    expect(within(alertItem("Payments API")).getByText("held back: suppressed by auth")).toBeTruthy();
    expect(within(alertItem("Search")).getByText("not notified yet")).toBeTruthy();
  });

  it("says so when nothing is open, snoozed, sent or configured", async () => {
    const backend = alertsBackend({
      alerts: () => ({ open: [], snoozes: [], deliveries: [] }),
      timeline: () => ({ entries: [], before: null }),
      channels: () => [],
    });
    render(<App backend={backend} />);
    expect(await screen.findByText("No open alerts.")).toBeTruthy();
    expect(screen.getByText("Nothing is snoozed.")).toBeTruthy();
    expect(screen.getByText("No notifications sent yet.")).toBeTruthy();
    expect(await screen.findByText(/No channels are configured/)).toBeTruthy();
    expect(screen.getByText(/Nothing has happened yet/)).toBeTruthy();
  });

  it("shows the snoozes with until when and by whom", async () => {
    await renderAlerts(alertsBackend());
    const snoozes = within(region("Snoozed")).getByRole("list", { name: "Snoozed" });
    const web = within(snoozes).getByRole("listitem", { name: "Website" });
    expect(web.textContent).toContain("(4 h left)");
    expect(web.textContent).toContain("Snoozed by ada: release tonight");
    expect(within(web).getByRole("link", { name: "Website" }).getAttribute("href")).toBe("#/check/web");
  });

  it("shows the delivery log newest first, with attempts and errors", async () => {
    await renderAlerts(alertsBackend());
    const table = within(region("Deliveries")).getByRole("table", { name: "Deliveries" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getByRole("rowheader").textContent)).toEqual([
      "Auth is still down",
      "Search is degraded",
      "Payments API is down",
    ]);
    const [failed, pending, sent] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(failed.textContent).toContain("teams-ops");
    expect(failed.textContent).toContain("Reminder");
    expect(within(failed).getByText("Gave up after 8 attempts")).toBeTruthy();
    expect(within(failed).getByText("HTTP 403 Forbidden")).toBeTruthy();
    expect(within(pending).getByText(/^Pending: 2 attempts, next at \d{2}:\d{2}:\d{2}$/)).toBeTruthy();
    expect(within(pending).getByText("connection refused")).toBeTruthy();
    expect(within(sent).getByText(/^Sent at \d{2}:\d{2}:\d{2}$/)).toBeTruthy();
    expect(sent.textContent).toContain("Alert");
  });

  it("shows the timeline in words, with links to results, and pages to older entries", async () => {
    const backend = alertsBackend();
    await renderAlerts(backend);
    const list = await within(region("Timeline")).findByRole("list", { name: "Timeline of the whole estate" });
    const items = within(list).getAllByRole("listitem");
    expect(items.map((li) => li.querySelector(".timeline-kind")?.textContent)).toEqual([
      "Acknowledged",
      "Delivered",
      "Status changed to Down",
      "Channel test",
    ]);
    expect(within(items[0]!).getByRole("link", { name: "Auth" }).getAttribute("href")).toBe("#/check/auth");
    expect(items[0]!.textContent).toContain("acknowledged: restarting the app pool by grace");
    // Ids the engine marks as code are shown as code.
    expect(items[1]!.textContent).toContain("alert delivered to support-mail");
    expect(items[1]!.querySelector("code")?.textContent).toBe("support-mail");
    // An estate entry (a channel test) is about no result.
    expect(within(items[3]!).queryByRole("link")).toBeNull();
    expect(params(backend, "timeline")).toEqual([{ id: null, before: null, limit: 30 }]);

    fireEvent.click(within(region("Timeline")).getByRole("button", { name: "Older timeline entries" }));

    await waitFor(() => expect(within(list).getAllByRole("listitem")).toHaveLength(5));
    expect(within(list).getAllByRole("listitem")[4]!.textContent).toContain("Snoozed");
    expect(params(backend, "timeline")[1]).toEqual({ id: null, before: "2025-06-01T11:26:40Z", limit: 30 });
    // The last page: no more Older.
    expect(within(region("Timeline")).queryByRole("button", { name: /Older/ })).toBeNull();
  });

  it("lists the channels with their type, target and whether they are on", async () => {
    await renderAlerts(alertsBackend());
    const list = await within(region("Channels")).findByRole("list", { name: "Channels" });
    const mail = within(list).getByRole("listitem", { name: "Support mail" });
    expect(mail.textContent).toContain("support-mail");
    expect(mail.textContent).toContain("email");
    expect(mail.textContent).toContain("Enabled");
    expect(mail.textContent).toContain("support@example.test");
    expect(mail.textContent).toContain("smtp-password");
    const teams = within(list).getByRole("listitem", { name: "teams-ops" });
    expect(teams.textContent).toContain("Disabled");
    expect(teams.textContent).toContain("teams");
  });

  it("acknowledges an alert with a note, then shows it acknowledged", async () => {
    let acked = false;
    const backend = alertsBackend({
      acknowledge: () => {
        acked = true;
        return null;
      },
      alerts: () => {
        const s = alertsState();
        if (acked) {
          s.open = s.open.map((a) =>
            a.series === "payments-api"
              ? { ...a, acked_at_ms: NOW, acked_by: "someone-operator", ack_note: "looking into it" }
              : a,
          );
        }
        return s;
      },
    });
    await renderAlerts(backend);
    const opener = within(alertItem("Payments API")).getByRole("button", { name: "Acknowledge Payments API" });
    opener.focus();
    fireEvent.click(opener);

    const dialog = screen.getByRole("dialog", { name: "Acknowledge alert" });
    expect(dialog.textContent).toContain("Payments API");
    const note = within(dialog).getByLabelText("Note (optional)");
    expect(document.activeElement).toBe(note);
    fireEvent.change(note, { target: { value: "  looking into it " } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "acknowledge")).toEqual([{ id: "payments-api", note: "looking into it" }]);
    expect(status().textContent).toBe("Acknowledged Payments API (“looking into it”). Reminders stop until it recovers.");
    await waitFor(() =>
      expect(within(alertItem("Payments API")).getByText("acknowledged by someone-operator: looking into it")).toBeTruthy(),
    );
    expect(document.activeElement).toBe(opener);
  });

  it("acknowledges without a note, and says so when the alert has closed meanwhile", async () => {
    let conflict = true;
    const backend = alertsBackend({
      acknowledge: () => {
        if (conflict) throw new BackendError({ code: "conflict", message: "`payments-api` has no open alert" }, 409);
        return null;
      },
    });
    await renderAlerts(backend);
    fireEvent.click(within(alertItem("Payments API")).getByRole("button", { name: "Acknowledge Payments API" }));
    const dialog = screen.getByRole("dialog", { name: "Acknowledge alert" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));

    expect((await within(dialog).findByRole("alert")).textContent).toBe(
      "It has no open alert any more: it may have recovered.",
    );
    conflict = false;
    fireEvent.click(within(dialog).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(params(backend, "acknowledge")).toEqual([
      { id: "payments-api", note: null },
      { id: "payments-api", note: null },
    ]);
  });

  it("snoozes an alert for 4 hours", async () => {
    const backend = alertsBackend();
    await renderAlerts(backend);
    const group = within(alertItem("Search")).getByRole("group", { name: "Snooze Search" });
    expect(within(group).getAllByRole("button").map((b) => b.textContent)).toEqual(["1 h", "4 h", "8 h"]);

    fireEvent.click(within(group).getByRole("button", { name: "Snooze Search for 4 hours" }));

    await waitFor(() => expect(params(backend, "snooze")).toEqual([{ id: "search", minutes: 240, note: null }]));
    await waitFor(() =>
      expect(status().textContent).toBe("Snoozed Search for 4 hours: its alerts are held back until then."),
    );
    // Fetched again, to show the snooze.
    await waitFor(() => expect(backend.count("alerts")).toBe(2));
  });

  it("ends a snooze, from the open alert and from the list of snoozes", async () => {
    const state = alertsState();
    state.snoozes.push({ series: "payments-api", until_ms: NOW + 3_600_000, by: "ada", note: null });
    const backend = alertsBackend({ alerts: () => state });
    await renderAlerts(backend);

    // Only a snoozed alert offers to end its snooze.
    expect(within(alertItem("Search")).queryByRole("button", { name: /End snooze/ })).toBeNull();
    fireEvent.click(within(alertItem("Payments API")).getByRole("button", { name: "End snooze of Payments API" }));
    await waitFor(() => expect(params(backend, "snooze")).toEqual([{ id: "payments-api", minutes: null, note: null }]));
    await waitFor(() => expect(status().textContent).toBe("Ended the snooze of Payments API."));

    const snoozes = within(region("Snoozed")).getByRole("list", { name: "Snoozed" });
    fireEvent.click(within(snoozes).getByRole("button", { name: "End snooze of Website" }));
    await waitFor(() => expect(params(backend, "snooze")[1]).toEqual({ id: "web", minutes: null, note: null }));
  });

  it("sends a channel a test and says how it went", async () => {
    let failure: string | null = null;
    const backend = alertsBackend({
      test_channel: () => {
        if (failure !== null) throw new BackendError({ code: "unavailable", message: failure }, 503);
        return null;
      },
    });
    await renderAlerts(backend);
    const list = await within(region("Channels")).findByRole("list", { name: "Channels" });

    fireEvent.click(within(list).getByRole("button", { name: "Send test to Support mail" }));
    await waitFor(() => expect(status().textContent).toBe("Test notification sent to support-mail."));
    expect(status().querySelector("code")?.textContent).toBe("support-mail");
    expect(params(backend, "test_channel")).toEqual([{ id: "support-mail" }]);

    failure = "SMTP server smtp.example.test:587 refused the login (535 authentication failed)";
    fireEvent.click(within(list).getByRole("button", { name: "Send test to teams-ops" }));
    await waitFor(() =>
      expect(status().textContent).toBe(
        "Test notification to teams-ops failed: SMTP server smtp.example.test:587 refused the login (535 authentication failed)",
      ),
    );
    expect(params(backend, "test_channel")).toEqual([{ id: "support-mail" }, { id: "teams-ops" }]);
  });

  it("offers a viewer no action", async () => {
    const backend = alertsBackend({}, "viewer");
    await renderAlerts(backend);
    await within(region("Channels")).findByRole("list", { name: "Channels" });
    await within(region("Timeline")).findByRole("list");

    const main = screen.getByRole("main");
    const buttons = within(main)
      .queryAllByRole("button")
      .map((b) => b.textContent);
    // Paging the timeline is reading, not acting.
    expect(buttons).toEqual(["Older timeline entries"]);
    expect(within(main).queryByRole("group", { name: /Snooze/ })).toBeNull();
    expect(within(alertItem("Payments API")).getByText("notified")).toBeTruthy();
  });

  it("fetches again a second after a status change", async () => {
    const backend = alertsBackend();
    await renderAlerts(backend);
    await waitFor(() => expect(backend.count("timeline")).toBe(1));
    expect(backend.count("alerts")).toBe(1);

    act(() =>
      backend.emit({
        kind: "transition",
        transition: { id: "web", from: "up", to: "down", reason: "HTTP 503", at: new Date(NOW).toISOString() },
      }),
    );
    act(() =>
      backend.emit({
        kind: "transition",
        transition: { id: "auth", from: "down", to: "up", reason: "HTTP 200", at: new Date(NOW).toISOString() },
      }),
    );
    // Not at once: a burst of changes is one fetch, a second later.
    expect(backend.count("alerts")).toBe(1);
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("alerts")).toBe(2);
    expect(backend.count("timeline")).toBe(2);
    // Results alone do not make alerts.
    act(() => backend.emit({ kind: "result", check: overview().environments[0]!.checks[1]! }));
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("alerts")).toBe(2);
  });

  it("fetches again every 15 seconds", async () => {
    const backend = alertsBackend();
    await renderAlerts(backend);
    expect(backend.count("alerts")).toBe(1);
    act(() => {
      vi.advanceTimersByTime(15_000);
    });
    await waitFor(() => expect(backend.count("alerts")).toBe(2));
    expect(backend.count("timeline")).toBe(2);
    // Channels change only with the configuration.
    expect(backend.count("channels")).toBe(1);
  });

  it("offers to retry when the alerts cannot be loaded", async () => {
    let fail = true;
    const backend = alertsBackend({
      alerts: () => {
        if (fail) throw new BackendError({ code: "internal", message: "the alert store cannot be used" }, 500);
        return alertsState();
      },
    });
    render(<App backend={backend} />);
    expect((await screen.findByRole("alert")).textContent).toContain(
      "Cannot load the alerts: the alert store cannot be used",
    );
    fail = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByRole("list", { name: "Open alerts" });
  });

  it("leads from an alert to its check and back", async () => {
    const backend = alertsBackend();
    await renderAlerts(backend);
    act(() => {
      window.location.hash = "#/check/payments-api";
    });
    const back = await screen.findByRole("link", { name: "← All alerts" });
    expect(back.getAttribute("href")).toBe("#/alerts");

    act(() => {
      window.location.hash = "#/alerts";
    });
    // Back on the list at once (the last answer), with the alert just left focused.
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Payments API"));
    expect(document.activeElement?.closest("ul")).toBe(openList());
  });
});
