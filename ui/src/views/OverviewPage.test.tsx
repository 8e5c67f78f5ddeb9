import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Overview } from "../bindings/Overview";
import { bigOverview, check, FakeBackend, NOW, overview } from "../test/fixtures";
import { LAYOUT_STORAGE_KEY } from "./OverviewPage";

function rowOf(name: string): HTMLElement {
  const row = screen.getByRole("link", { name }).closest("li");
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

const visibleChecks = () =>
  screen
    .queryAllByRole("link")
    .filter((a) => a.dataset.checkId !== undefined)
    .map((a) => a.textContent);

describe("Overview", () => {
  let data: Overview;
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    data = overview();
    backend = new FakeBackend({ overview: () => data });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("checks all now and says how the results came out", async () => {
    let answer: (counts: unknown) => void = () => undefined;
    backend = new FakeBackend({
      overview: () => data,
      check_all: () => new Promise((resolve) => (answer = resolve)),
    });
    render(<App backend={backend} />);
    const button = await screen.findByRole("button", { name: "Check all now" });
    fireEvent.click(button);
    expect(button.textContent).toBe("Checking all…");
    fireEvent.click(button); // a second click while running does not start another round
    expect(backend.count("check_all")).toBe(1);
    act(() => answer({ up: 27, degraded: 1, down: 2, unknown: 0 }));
    expect(await screen.findByText("Checked: 2 down, 1 degraded, 27 up")).toBeTruthy();
    expect(button.textContent).toBe("Check all now");
  });

  it("shows every check with status text, message, latency, age and 24 h uptime", async () => {
    render(<App backend={backend} />);

    const row = rowOf(await screen.findByText("Payments API").then((e) => e.textContent ?? ""));
    expect(within(row).getByText("Down")).toBeTruthy();
    expect(within(row).getByText("HTTP 503 Service Unavailable")).toBeTruthy();
    expect(within(row).getByText("42 ms")).toBeTruthy();
    expect(within(row).getByText("checked 5 s ago")).toBeTruthy();
    expect(within(row).getByText("90%")).toBeTruthy();
    // 99.999 % is rounded down, never shown as 100 %.
    expect(within(rowOf("Search")).getByText("99.99%")).toBeTruthy();
    expect(within(rowOf("Search")).getByText("Degraded")).toBeTruthy();

    // Environments in the server's order, worst first.
    const headings = screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent);
    expect(headings).toEqual(["Production", "Staging"]);
    // Overall counts in the header.
    expect(screen.getByRole("list", { name: "All checks by status" }).textContent).toContain("1 down");
  });

  it("ticks the age every second", async () => {
    render(<App backend={backend} />);
    const row = rowOf((await screen.findByText("Website")).textContent ?? "");
    expect(within(row).getByText("checked 5 s ago")).toBeTruthy();
    // Let the rows' effects start the ticker before time moves on.
    await act(() => Promise.resolve());
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(await within(row).findByText("checked 6 s ago")).toBeTruthy();
    act(() => {
      vi.advanceTimersByTime(1000);
    });
    expect(await within(row).findByText("checked 7 s ago")).toBeTruthy();
  });

  it("filters by name, id, URL, tag and environment", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const search = screen.getByRole("searchbox", { name: "Search checks" });

    fireEvent.change(search, { target: { value: "billing" } });
    expect(visibleChecks()).toEqual(["Payments API"]);

    fireEvent.change(search, { target: { value: "www.example" } });
    expect(visibleChecks()).toEqual(["Website"]);

    fireEvent.change(search, { target: { value: "staging" } });
    expect(visibleChecks()).toEqual(["Search", "Auth"]);

    fireEvent.change(search, { target: { value: "STAGING auth" } });
    expect(visibleChecks()).toEqual(["Auth"]);

    fireEvent.change(search, { target: { value: "no-such-thing" } });
    expect(visibleChecks()).toEqual([]);
    expect(screen.getByText("No check matches.")).toBeTruthy();
  });

  it("shows only problems when asked", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");

    fireEvent.click(screen.getByRole("checkbox", { name: "Only problems" }));

    expect(visibleChecks()).toEqual(["Payments API", "Search"]);
    expect(screen.getByText("Showing 2 of 4 checks")).toBeTruthy();
  });

  it("updates a row in place on a result event, without fetching the overview again", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(backend.count("overview")).toBe(1);

    const updated = check({
      id: "web",
      name: "Website",
      status: "down",
      message: "connection refused",
      latency_ms: null,
      checked_at: new Date(NOW).toISOString(),
    });
    act(() => backend.emit({ kind: "result", check: updated }));

    const row = rowOf("Website");
    expect(within(row).getByText("Down")).toBeTruthy();
    expect(within(row).getByText("connection refused")).toBeTruthy();
    expect(within(row).getByText("checked 0 s ago")).toBeTruthy();
    expect(screen.getByRole("list", { name: "All checks by status" }).textContent).toContain("2 down");
    expect(backend.count("overview")).toBe(1);
  });

  it("ignores a result older than the one shown", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const stale = check({
      id: "web",
      name: "Website",
      status: "down",
      message: "old news",
      checked_at: new Date(NOW - 60_000).toISOString(),
    });
    act(() => backend.emit({ kind: "result", check: stale }));
    expect(screen.queryByText("old news")).toBeNull();
  });

  it("fetches the overview again on a config event and shows a refused config", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.queryByRole("alert")).toBeNull();

    data = { ...data, config: { path: "opsdeck.toml", error: "line 12: unknown field `intervall`" } };
    act(() =>
      backend.emit({ kind: "config", path: "opsdeck.toml", error: "line 12: unknown field `intervall`" }),
    );

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The configuration file was not applied.");
    expect(alert.textContent).toContain("line 12: unknown field `intervall`");
    expect(backend.count("overview")).toBe(2);
  });

  it("offers to retry when the overview cannot be loaded", async () => {
    let fail = true;
    backend = new FakeBackend({
      overview: () => {
        if (fail) throw Object.assign(new Error("boom"), { code: "internal" });
        return data;
      },
    });
    render(<App backend={backend} />);

    expect((await screen.findByRole("alert")).textContent).toContain("Cannot load the overview: boom");
    fail = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await waitFor(() => expect(screen.getByText("Website")).toBeTruthy());
  });
  it("switches between the list and the grid, and remembers the choice", async () => {
    const { unmount } = render(<App backend={backend} />);
    await screen.findByText("Website");
    const layout = screen.getByRole("group", { name: "Layout" });
    const list = within(layout).getByRole("button", { name: "List" });
    const grid = within(layout).getByRole("button", { name: "Grid" });
    expect(list.getAttribute("aria-pressed")).toBe("true");
    expect(grid.getAttribute("aria-pressed")).toBe("false");
    expect(screen.getByRole("main").dataset.layout).toBe("list");

    fireEvent.click(grid);

    expect(grid.getAttribute("aria-pressed")).toBe("true");
    expect(list.getAttribute("aria-pressed")).toBe("false");
    expect(screen.getByRole("main").dataset.layout).toBe("grid");
    // Same checks, same links, as cards.
    expect(visibleChecks()).toEqual(["Payments API", "Website", "Search", "Auth"]);
    expect(document.querySelectorAll(".checks-grid a[data-check-id]")).toHaveLength(4);
    expect(window.localStorage.getItem(LAYOUT_STORAGE_KEY)).toBe('"grid"');

    unmount();
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.getByRole("button", { name: "Grid" }).getAttribute("aria-pressed")).toBe("true");
  });

  it("ignores a remembered layout it does not know", async () => {
    window.localStorage.setItem(LAYOUT_STORAGE_KEY, '"cards"');
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.getByRole("button", { name: "List" }).getAttribute("aria-pressed")).toBe("true");
  });

  it("finds checks by tag, URL and environment in the grid too", async () => {
    window.localStorage.setItem(LAYOUT_STORAGE_KEY, '"grid"');
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const search = screen.getByRole("searchbox", { name: "Search checks" });

    fireEvent.change(search, { target: { value: "Billing" } });
    expect(visibleChecks()).toEqual(["Payments API"]);
    fireEvent.change(search, { target: { value: "https://auth.example.test" } });
    expect(visibleChecks()).toEqual(["Auth"]);
    fireEvent.change(search, { target: { value: "production" } });
    expect(visibleChecks()).toEqual(["Payments API", "Website"]);
    expect(screen.getByText("Showing 2 of 4 checks")).toBeTruthy();
  });

  it("remembers the search and the only-problems filter for the session", async () => {
    const { unmount } = render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.change(screen.getByRole("searchbox", { name: "Search checks" }), { target: { value: "prod" } });
    fireEvent.click(screen.getByRole("checkbox", { name: "Only problems" }));
    expect(visibleChecks()).toEqual(["Payments API"]);

    unmount();
    render(<App backend={backend} />);
    await screen.findByText("Payments API");
    expect(screen.getByRole<HTMLInputElement>("searchbox", { name: "Search checks" }).value).toBe("prod");
    expect(screen.getByRole<HTMLInputElement>("checkbox", { name: "Only problems" }).checked).toBe(true);
    expect(visibleChecks()).toEqual(["Payments API"]);
  });

  it("combines only problems with a search", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.click(screen.getByRole("checkbox", { name: "Only problems" }));
    fireEvent.change(screen.getByRole("searchbox", { name: "Search checks" }), {
      target: { value: "staging" },
    });
    expect(visibleChecks()).toEqual(["Search"]);
  });

  it("moves an environment up at once when a result makes it the worst", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const headings = () => screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent);
    expect(headings()).toEqual(["Production", "Staging"]);

    // Payments recovers: Production is up, Staging (degraded) is now the worst.
    act(() =>
      backend.emit({
        kind: "result",
        check: check({
          id: "payments-api",
          name: "Payments API",
          tags: ["billing"],
          checked_at: new Date(NOW).toISOString(),
        }),
      }),
    );
    expect(headings()).toEqual(["Staging", "Production"]);
  });

  it("keeps very long names, URLs and messages whole", async () => {
    const longName = `Customer-Portal-${"Integration-Gateway-".repeat(15)}Backend`;
    const longUrl = `https://${"very-long-sub-domain.".repeat(8)}example.test/health?${"x=1&".repeat(30)}`;
    const longMessage = `SqlException: ${"A network-related error occurred. ".repeat(20)}`.trim();
    const o = overview();
    o.environments[0]!.name = `Production ${"West Europe Region ".repeat(6)}`.trim();
    o.environments[0]!.checks[0] = check({
      id: "long",
      name: longName,
      status: "down",
      target: longUrl,
      message: longMessage,
    });
    data = o;
    window.localStorage.setItem(LAYOUT_STORAGE_KEY, '"grid"');
    render(<App backend={backend} />);

    const link = await screen.findByRole("link", { name: longName });
    const card = link.closest("li")!;
    // Cut to fit on screen, whole in the tooltip and for assistive technology.
    expect(within(card).getByText(longUrl).getAttribute("title")).toBe(longUrl);
    expect(within(card).getByText(longMessage).getAttribute("title")).toBe(longMessage);
    expect(screen.getByRole("heading", { level: 2, name: o.environments[0]!.name })).toBeTruthy();
  });

  it("explains how to add checks when there are none", async () => {
    data = {
      ...data,
      status: "up",
      counts: { up: 0, degraded: 0, down: 0, unknown: 0 },
      environments: [],
      uptime_24h: {},
      config: { path: "C:\\Users\\alice\\AppData\\Roaming\\opsdeck\\config\\opsdeck.toml", error: null },
    };
    render(<App backend={backend} />);

    const heading = await screen.findByRole("heading", { level: 2, name: "No checks yet" });
    const firstRun = heading.closest("section")!;
    const settings = within(firstRun).getByRole("link", { name: "Settings" });
    expect(settings.getAttribute("href")).toBe("#/settings");
    expect(firstRun.textContent).toContain("Add check");
    expect(firstRun.textContent).toContain(data.config.path);
    expect(firstRun.textContent).toContain("opsdeck demo");
    // Nothing to search or count yet.
    expect(screen.queryByRole("searchbox")).toBeNull();
    expect(screen.queryByRole("list", { name: "All checks by status" })).toBeNull();
  });

  it("shows the first-run screen under a refused configuration", async () => {
    data = {
      ...data,
      counts: { up: 0, degraded: 0, down: 0, unknown: 0 },
      environments: [],
      config: { path: "opsdeck.toml", error: "line 3: expected `=`" },
    };
    render(<App backend={backend} />);
    expect((await screen.findByRole("alert")).textContent).toContain("line 3: expected `=`");
    expect(screen.getByRole("heading", { name: "No checks yet" })).toBeTruthy();
  });

  it("leaves the first-run screen when checks are added", async () => {
    const full = data;
    data = { ...data, counts: { up: 0, degraded: 0, down: 0, unknown: 0 }, environments: [] };
    render(<App backend={backend} />);
    await screen.findByRole("heading", { name: "No checks yet" });

    data = full;
    act(() => backend.emit({ kind: "config", path: "opsdeck.toml", error: null }));

    expect(await screen.findByText("Website")).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "No checks yet" })).toBeNull();
  });
});

describe("Overview with 1,000 checks", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("renders every check and updates one row from a result event", async () => {
    const data = bigOverview(1000);
    const backend = new FakeBackend({ overview: () => data });
    render(<App backend={backend} />);

    await screen.findByText("Service 500");
    expect(document.querySelectorAll("a[data-check-id]")).toHaveLength(1000);
    expect(screen.getByText("1000 checks")).toBeTruthy();
    const untouched = rowOf("Service 501");

    act(() =>
      backend.emit({
        kind: "result",
        check: check({
          id: "svc-500",
          name: "Service 500",
          environment: "env-5",
          status: "down",
          tags: ["team-3"],
          message: "connection refused",
          checked_at: new Date(NOW).toISOString(),
        }),
      }),
    );

    const row = rowOf("Service 500");
    expect(within(row).getByText("Down")).toBeTruthy();
    expect(within(row).getByText("connection refused")).toBeTruthy();
    // The other rows are the same elements, untouched.
    expect(rowOf("Service 501")).toBe(untouched);
    expect(within(untouched).getByText("Healthy")).toBeTruthy();
    expect(backend.count("overview")).toBe(1);

    // Search still works over the whole estate.
    fireEvent.change(screen.getByRole("searchbox", { name: "Search checks" }), {
      target: { value: "team-3" },
    });
    expect(screen.getByText(/^Showing \d+ of 1000 checks$/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Service 500" })).toBeTruthy();
    // jsdom is slow at a thousand rows; a browser renders them in well under a second.
  }, 30_000);
});
