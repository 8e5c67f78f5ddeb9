import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { FakeBackend, NOW, overview } from "./test/fixtures";

describe("App shell", () => {
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    backend = new FakeBackend({ overview: () => overview() });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("has a main navigation with Overview and Settings", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const nav = screen.getByRole("navigation", { name: "Main" });
    const overviewLink = within(nav).getByRole("link", { name: "Overview" });
    const settings = within(nav).getByRole("link", { name: "Settings" });
    expect(settings.getAttribute("href")).toBe("#/settings");
    expect(overviewLink.getAttribute("aria-current")).toBe("page");
    expect(settings.getAttribute("aria-current")).toBeNull();
  });

  it("tells when the live stream drops, keeps the data, and refreshes when it is back", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.getByText("Live")).toBeTruthy();
    expect(screen.queryByText(/Lost connection/)).toBeNull();

    act(() => backend.setLive(false));

    const banner = screen
      .getByText("Lost connection to the opsdeck server — reconnecting…")
      .closest<HTMLElement>(".banner")!;
    expect(banner.closest("[role=status]")).toBeTruthy();
    expect(banner.textContent).toMatch(/last received at \d{2}:\d{2}:\d{2} \(0 s ago\)/);
    expect(screen.getByText("Reconnecting…")).toBeTruthy();
    // Not blocking: the last data stays on screen and usable.
    expect(screen.getByRole("link", { name: "Website" })).toBeTruthy();
    expect(screen.getByRole("searchbox", { name: "Search checks" })).toBeTruthy();

    // The time since the last data keeps counting.
    await act(() => Promise.resolve());
    act(() => {
      vi.advanceTimersByTime(3000);
    });
    expect(banner.textContent).toContain("(3 s ago)");

    act(() => backend.setLive(true));

    expect(screen.queryByText(/Lost connection/)).toBeNull();
    expect(screen.getByText("Live")).toBeTruthy();
    // Events may have been missed while away.
    await waitFor(() => expect(backend.count("overview")).toBe(2));
  });

  it("says Connecting… before the stream has ever been up, without the lost banner", async () => {
    backend = new FakeBackend({ overview: () => overview() }, false);
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.getByText("Connecting…")).toBeTruthy();
    expect(screen.queryByText(/Lost connection/)).toBeNull();

    act(() => backend.setLive(true));
    expect(screen.getByText("Live")).toBeTruthy();
    expect(screen.queryByText(/Lost connection/)).toBeNull();
  });

  it("skips to the content", async () => {
    render(<App backend={backend} />);
    await screen.findByText("Website");
    fireEvent.click(screen.getByRole("link", { name: "Skip to content" }));
    expect(document.activeElement).toBe(screen.getByRole("heading", { level: 1, name: "Overview" }));
    expect(window.location.hash).toBe("");
  });
});
