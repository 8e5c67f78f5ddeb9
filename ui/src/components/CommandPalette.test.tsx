import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { bigOverview, FakeBackend, NOW, overview } from "../test/fixtures";
import { PALETTE_LIMIT } from "./CommandPalette";

const dialog = () => screen.getByRole("dialog", { name: "Jump to" });
const input = () => within(dialog()).getByRole("combobox", { name: "Find a check or page" });
const optionNames = () => within(dialog()).queryAllByRole("option").map((o) => o.getAttribute("aria-label"));
const optionId = (i: number) => within(dialog()).getAllByRole("option")[i]!.id;
const selected = () =>
  within(dialog())
    .getAllByRole("option")
    .find((o) => o.getAttribute("aria-selected") === "true")
    ?.getAttribute("aria-label");

describe("Jump to (command palette)", () => {
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    backend = new FakeBackend({ overview: () => overview() });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("opens with Ctrl+K, finds by name, moves with the arrows and opens the check with Enter", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.queryByRole("dialog")).toBeNull();

    fireEvent.keyDown(document.body, { key: "k", code: "KeyK", ctrlKey: true });

    expect(dialog().getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(input());
    // The page behind is out of reach while the dialog is open.
    expect(document.querySelector(".app-frame")?.hasAttribute("inert")).toBe(true);

    fireEvent.change(input(), { target: { value: "stag" } });
    expect(optionNames()).toEqual(["Search, Staging, Degraded", "Auth, Staging, Up"]);
    expect(selected()).toBe("Search, Staging, Degraded");
    expect(input().getAttribute("aria-activedescendant")).toBe(optionId(0));

    fireEvent.keyDown(input(), { key: "ArrowDown" });
    expect(selected()).toBe("Auth, Staging, Up");
    expect(input().getAttribute("aria-activedescendant")).toBe(optionId(1));
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    expect(selected()).toBe("Search, Staging, Degraded"); // wraps around
    fireEvent.keyDown(input(), { key: "ArrowUp" });
    expect(selected()).toBe("Auth, Staging, Up");

    fireEvent.keyDown(input(), { key: "Enter" });

    expect(window.location.hash).toBe("#/check/auth");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(await screen.findByRole("heading", { level: 1, name: "Auth" })).toBeTruthy();
  });

  it("opens with ⌘K and finds checks by tag, id and environment", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.keyDown(document.body, { key: "k", metaKey: true });

    fireEvent.change(input(), { target: { value: "billing" } });
    expect(optionNames()).toEqual(["Payments API, Production, Down"]);
    fireEvent.change(input(), { target: { value: "payments-api" } });
    expect(optionNames()).toEqual(["Payments API, Production, Down"]);
    fireEvent.change(input(), { target: { value: "production web" } });
    expect(optionNames()).toEqual(["Website, Production, Up"]);
    // Loosely, letters in order.
    fireEvent.change(input(), { target: { value: "pmts" } });
    expect(optionNames()).toEqual(["Payments API, Production, Down"]);
    fireEvent.change(input(), { target: { value: "nothing like this" } });
    expect(optionNames()).toEqual([]);
    expect(within(dialog()).getByText("No matches")).toBeTruthy();
  });

  it("lists the pages first and the worst checks next before anything is typed", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
    expect(optionNames()).toEqual([
      "Overview, page",
      "Queues, page",
      "Alerts, page",
      "CABs, page",
      "Environments, page",
      "Credentials, page",
      "Settings, page",
      "Payments API, Production, Down",
      "Search, Staging, Degraded",
      "Website, Production, Up",
      "Auth, Staging, Up",
    ]);
  });

  it("goes to Settings", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
    fireEvent.change(input(), { target: { value: "settings" } });
    expect(selected()).toBe("Settings, page");
    fireEvent.keyDown(input(), { key: "Enter" });
    expect(window.location.hash).toBe("#/settings");
  });

  it("opens from the header button; Escape closes it and gives focus back", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const button = screen.getByRole("button", { name: "Jump to…" });
    expect(button.textContent).toContain("Ctrl K");
    expect(button.getAttribute("aria-keyshortcuts")).toContain("Control+K");
    button.focus();
    fireEvent.click(button);
    expect(document.activeElement).toBe(input());

    fireEvent.keyDown(input(), { key: "Escape" });

    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(button);
    expect(document.querySelector(".app-frame")?.hasAttribute("inert")).toBe(false);
    expect(window.location.hash).toBe("");
  });

  it("closes on a click outside the dialog and opens an option on a click", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const search = screen.getByRole("searchbox", { name: "Search checks" });
    search.focus();
    fireEvent.keyDown(search, { key: "k", ctrlKey: true });
    fireEvent.mouseDown(document.querySelector(".palette-backdrop")!);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(search);

    fireEvent.keyDown(search, { key: "k", ctrlKey: true });
    fireEvent.click(within(dialog()).getByRole("option", { name: "Website, Production, Up" }));
    expect(window.location.hash).toBe("#/check/web");
  });

  it("shows at most a screenful of results among a thousand checks", async () => {
    backend = new FakeBackend({ overview: () => bigOverview(1200) });
    render(<App backend={backend} />);
    await screen.findByText("Service 10");
    fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });

    fireEvent.change(input(), { target: { value: "service" } });
    expect(optionNames()).toHaveLength(PALETTE_LIMIT);
    const summary = `Showing the first ${PALETTE_LIMIT} of 1200 matches; type more to narrow`;
    expect(within(dialog()).getByText(summary)).toBeTruthy();

    fireEvent.change(input(), { target: { value: "service 1111" } });
    expect(optionNames()[0]).toBe("Service 1111, Environment 11, Up");
    fireEvent.keyDown(input(), { key: "Enter" });
    expect(window.location.hash).toBe("#/check/svc-1111");
  }, 30_000);

  it("keeps the highlighted check when live results arrive", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
    // Past the seven pages (Overview, Queues, Alerts, CABs, Environments, Credentials, Settings)
    // and the first check.
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    fireEvent.keyDown(input(), { key: "ArrowDown" });
    expect(selected()).toBe("Search, Staging, Degraded");

    const website = overview().environments[0]!.checks[1]!;
    act(() =>
      backend.emit({
        kind: "result",
        check: { ...website, status: "down", checked_at: new Date(NOW).toISOString() },
      }),
    );

    await waitFor(() => expect(optionNames()).toContain("Website, Production, Down"));
    expect(selected()).toBe("Search, Staging, Degraded");
  });
});
