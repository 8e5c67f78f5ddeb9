import { describe, expect, it } from "vitest";
import { check, overview } from "../test/fixtures";
import { formatAgo, formatDateTime, formatLatency, formatSpan, formatUptime } from "./format";
import { applyResult, filterEnvironments, sortWorstFirst } from "./overview";
import { cabHref, checkHref, parseHash } from "./route";
import { readStored, writeStored } from "./storage";

describe("applyResult", () => {
  it("replaces the check and recomputes counts and statuses, keeping order", () => {
    const before = overview();
    const after = applyResult(
      before,
      check({
        id: "payments-api",
        name: "Payments API",
        tags: ["billing"],
        checked_at: new Date().toISOString(),
      }),
    );
    expect(after).not.toBeNull();
    expect(after?.environments[0]?.checks.map((c) => c.id)).toEqual(["payments-api", "web"]);
    expect(after?.environments[0]?.status).toBe("up");
    expect(after?.counts).toEqual({ up: 3, degraded: 1, down: 0, unknown: 0 });
    expect(after?.status).toBe("degraded");
    // Untouched environments keep their identity, so their rows do not re-render.
    expect(after?.environments[1]).toBe(before.environments[1]);
  });

  it("asks for a fetch when the check is new or moved", () => {
    expect(applyResult(overview(), check({ id: "new" }))).toBeNull();
    expect(applyResult(overview(), check({ id: "web", environment: "staging" }))).toBeNull();
  });
});

describe("filterEnvironments", () => {
  it("matches tags case-insensitively and drops empty environments", () => {
    const envs = filterEnvironments(overview().environments, "BILLING", false);
    expect(envs.map((e) => e.id)).toEqual(["prod"]);
    expect(envs[0]?.checks.map((c) => c.id)).toEqual(["payments-api"]);
  });

  it("matches URLs and environment names, every word somewhere", () => {
    const ids = (q: string) =>
      filterEnvironments(overview().environments, q, false).flatMap((e) => e.checks.map((c) => c.id));
    expect(ids("https://www.example.test")).toEqual(["web"]);
    expect(ids("Production site")).toEqual(["web"]);
    expect(ids("staging")).toEqual(["search", "auth"]);
  });

  it("keeps untouched environments identical across a live update, so they do not re-render", () => {
    const before = overview();
    const first = filterEnvironments(before.environments, "a", false);
    const after = applyResult(
      before,
      check({
        id: "web",
        name: "Website",
        target: "https://www.example.test/",
        checked_at: new Date().toISOString(),
      }),
    )!;
    const second = filterEnvironments(after.environments, "a", false);
    expect(second[1]).toBe(first[1]); // staging: not touched
    expect(second[0]).not.toBe(first[0]); // production: has the new result
    expect(second[0]?.checks.map((c) => c.id)).toEqual(["payments-api", "web"]);
  });

  it("counts an unconfirmed failure as a problem", () => {
    const o = overview();
    const web = o.environments[0]!.checks[1]!;
    o.environments[0]!.checks[1] = { ...web, last_status: "down" };
    const ids = filterEnvironments(o.environments, "", true).flatMap((e) => e.checks.map((c) => c.id));
    expect(ids).toEqual(["payments-api", "web", "search"]);
  });
});

describe("sortWorstFirst", () => {
  it("keeps an ordered list as it is and moves a worse environment up, stably", () => {
    const envs = overview().environments;
    expect(sortWorstFirst(envs)).toBe(envs);
    const [prod, staging] = envs as [(typeof envs)[0], (typeof envs)[0]];
    const healed = { ...prod, status: "up" as const };
    const other = { ...staging, id: "other", status: "degraded" as const };
    expect(sortWorstFirst([healed, staging, other]).map((e) => e.id)).toEqual(["staging", "other", "prod"]);
  });
});

describe("storage", () => {
  it("reads back what it wrote and ignores what does not fit", () => {
    const isNumber = (v: unknown): v is number => typeof v === "number";
    writeStored("local", "k", 3);
    expect(readStored("local", "k", isNumber)).toBe(3);
    window.localStorage.setItem("k", "not json");
    expect(readStored("local", "k", isNumber)).toBeUndefined();
    writeStored("session", "k", "three");
    expect(readStored("session", "k", isNumber)).toBeUndefined();
  });
});

describe("format", () => {
  it("formats spans, latency and uptime", () => {
    expect(formatSpan(5.9)).toBe("5 s");
    expect(formatSpan(150)).toBe("2 min");
    expect(formatSpan(3 * 3600)).toBe("3 h");
    expect(formatSpan(3 * 86_400)).toBe("3 d");
    expect(formatAgo("2025-06-01T12:00:00Z", Date.parse("2025-06-01T12:00:42Z"))).toBe("42 s ago");
    expect(formatAgo(null, 0)).toBeNull();
    expect(formatLatency(null)).toBe("—");
    expect(formatLatency(999.6)).toBe("1000 ms");
    expect(formatLatency(1234)).toBe("1.23 s");
    expect(formatUptime(1)).toBe("100%");
    expect(formatUptime(0.99999)).toBe("99.99%");
    expect(formatUptime(null)).toBe("—");
  });

  it("formats dates the British way", () => {
    const text = formatDateTime("2025-11-05T09:08:07Z");
    expect(text).toMatch(/^\d{1,2} Nov 2025, \d{2}:\d{2}:07$/);
  });
});

describe("route", () => {
  it("round-trips check ids through the hash", () => {
    expect(parseHash(checkHref("prod/api v2"))).toEqual({ view: "check", id: "prod/api v2" });
    expect(parseHash("")).toEqual({ view: "overview" });
    expect(parseHash("#/")).toEqual({ view: "overview" });
    expect(parseHash("#/check/%E0%A4%A")).toEqual({ view: "overview" });
    expect(parseHash("#/settings")).toEqual({ view: "settings" });
    expect(parseHash("#/queues")).toEqual({ view: "queues" });
    expect(parseHash("#/queuesx")).toEqual({ view: "overview" });
    expect(parseHash("#/settingsx")).toEqual({ view: "overview" });
  });

  it("names the CAB page's views and a CAB by its file name", () => {
    expect(parseHash("#/cabs")).toEqual({ view: "cabs", tab: "pipeline" });
    expect(parseHash("#/cabs/audit")).toEqual({ view: "cabs", tab: "audit" });
    expect(parseHash(cabHref("GHA Orders.cab"))).toEqual({ view: "cab", name: "GHA Orders.cab" });
    expect(cabHref("GHA Orders.cab")).toBe("#/cab/GHA%20Orders.cab");
    expect(parseHash("#/cab/%E0%A4%A")).toEqual({ view: "cabs", tab: "pipeline" });
    expect(parseHash("#/cabsx")).toEqual({ view: "overview" });
  });

  it("names the Environments page's views", () => {
    expect(parseHash("#/environments")).toEqual({ view: "environments", tab: "cards" });
    expect(parseHash("#/environments/compare")).toEqual({ view: "environments", tab: "compare" });
    expect(parseHash("#/environmentsx")).toEqual({ view: "overview" });
  });
});

describe("latency axis", () => {
  it("never labels the axis with equal or rounded-off values", async () => {
    const { niceCeil } = await import("../components/LatencyChart");
    for (const v of [0, 0.4, 1, 1.1, 2.5, 3, 4.4, 5, 7, 9.9, 12, 55, 480, 1300, 9000]) {
      const top = niceCeil(v);
      expect(top).toBeGreaterThanOrEqual(v);
      if (top < 1000) expect(Number.isInteger(top / 2)).toBe(true);
      expect(top / 2).toBeGreaterThan(0);
    }
    expect(niceCeil(1.1)).toBe(2);
    expect(niceCeil(5)).toBe(10);
    expect(niceCeil(55)).toBe(100);
  });
});
