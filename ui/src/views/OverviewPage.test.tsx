import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { Overview } from "../bindings/Overview";
import { check, FakeBackend, NOW, overview } from "../test/fixtures";

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
});
