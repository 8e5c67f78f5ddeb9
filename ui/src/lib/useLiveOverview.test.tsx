import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeBackend, overview } from "../test/fixtures";
import { useLiveOverview } from "./useLiveOverview";

describe("useLiveOverview", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fetches again soon while checks with results still lack a 24-hour uptime", async () => {
    vi.useFakeTimers();
    const pending = overview();
    pending.uptime_24h = {}; // just started: results, but nothing rolled up yet
    let answer = pending;
    const backend = new FakeBackend({ overview: () => answer });
    const { result } = renderHook(() => useLiveOverview(backend));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0);
    });
    expect(result.current.overview?.uptime_24h).toEqual({});
    expect(backend.count("overview")).toBe(1);

    answer = overview();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(20_000);
    });
    expect(backend.count("overview")).toBe(2);
    expect(result.current.overview?.uptime_24h.web).toBe(1);

    // Complete now: no more early fetches until the regular poll.
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(backend.count("overview")).toBe(2);
  });
});
