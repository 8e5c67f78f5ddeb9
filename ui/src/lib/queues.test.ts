import { describe, expect, it } from "vitest";
import { check, queueCheck, queueList } from "../test/fixtures";
import { readHeartbeat, readPrometheus, readPush, readQueue } from "./details";
import { filterQueues, mergeResults, queueNames, sortQueues, sparklinePath, SPARK_POINTS } from "./queues";

const names = (rows: { check: { name: string } }[]) => rows.map((r) => r.check.name.split(": ")[1]);

describe("sparklinePath", () => {
  it("spreads the values across the width, 0 at the bottom and the highest at the top", () => {
    expect(sparklinePath([0, 5, 10], 60, 20)).toBe("M0 19L30 10L60 1");
    expect(sparklinePath([4, 4, 4, 4], 60, 20)).toBe("M0 1L20 1L40 1L60 1");
  });

  it("draws all zeros along the bottom, one value as a flat line, and nothing for none", () => {
    expect(sparklinePath([0, 0], 64, 20)).toBe("M0 19L64 19");
    expect(sparklinePath([7], 64, 20)).toBe("M0 1H64");
    expect(sparklinePath([], 64, 20)).toBe("");
  });
});

describe("sortQueues", () => {
  it("puts trouble first: status, then movement, then depth", () => {
    expect(names(sortQueues(queueList().queues))).toEqual([
      "erp.invoices",
      "edi.inbound",
      "erp.orders.dlq",
      "edi.outbound",
      "erp.big",
      "erp.orders",
      "erp.audit",
    ]);
  });

  it("puts the broker's own result (no queue figures) after the queues of its status", () => {
    const broker = check({ id: "erp-mq", name: "ERP broker", type: "rabbitmq", status: "unknown" });
    const unknownQueue = queueCheck("erp.x", { status: "unknown", movement: "idle" });
    const rows = sortQueues([
      { check: broker, sparkline: [] },
      { check: unknownQueue, sparkline: [] },
    ]);
    expect(rows.map((r) => r.check.id)).toEqual(["erp-mq/erp.x", "erp-mq"]);
    expect(queueNames(broker)).toEqual({ queue: "ERP broker", check: null });
    expect(queueNames(unknownQueue)).toEqual({ queue: "erp.x", check: "ERP broker" });
  });
});

describe("mergeResults", () => {
  const rows = sortQueues(queueList().queues);

  it("replaces a row and adds its depth to the sparkline, keeping the order when only depth changes", () => {
    const deeper = queueCheck("erp.audit", { movement: "idle", depth: 9999, msAgo: 0 });
    const merged = mergeResults(rows, [deeper]);
    expect(merged.missing).toBe(false);
    expect(names(merged.rows)).toEqual(names(rows));
    const row = merged.rows[6]!;
    expect(row.check).toBe(deeper);
    expect(row.sparkline).toEqual([0, 2, 1, 9999]);
    // Untouched rows keep their identity, so they do not re-render.
    expect(merged.rows[0]).toBe(rows[0]);
  });

  it("moves a row whose status or movement changed", () => {
    const stalled = queueCheck("erp.audit", { status: "down", movement: "stalled", depth: 50, msAgo: 0 });
    expect(names(mergeResults(rows, [stalled]).rows)[0]).toBe("erp.audit");
  });

  it("ignores older results, reports unknown ones, and keeps sparklines to their length", () => {
    const old = queueCheck("erp.audit", { depth: 1, msAgo: 3_600_000 });
    expect(mergeResults(rows, [old]).rows).toBe(rows);
    expect(mergeResults(rows, [queueCheck("erp.new", { msAgo: 0 })])).toEqual({ rows, missing: true });

    const full = [
      { check: queueCheck("q", { msAgo: 60_000 }), sparkline: Array.from({ length: SPARK_POINTS }, () => 1) },
    ];
    const next = mergeResults(full, [queueCheck("q", { depth: 5, msAgo: 0 })]).rows[0]!;
    expect(next.sparkline).toHaveLength(SPARK_POINTS);
    expect(next.sparkline.at(-1)).toBe(5);
  });
});

describe("filterQueues", () => {
  const rows = sortQueues(queueList().queues);

  it("matches every word in the queue, broker, id, vhost or broker URL", () => {
    expect(names(filterQueues(rows, "EDI", false))).toEqual(["edi.inbound", "edi.outbound"]);
    expect(names(filterQueues(rows, "erp-mq/erp.orders", false))).toEqual(["erp.orders.dlq", "erp.orders"]);
    expect(filterQueues(rows, "mq.example.test", false)).toHaveLength(7);
    expect(filterQueues(rows, "", false)).toBe(rows);
  });

  it("keeps only queues that are not up when asked", () => {
    expect(names(filterQueues(rows, "", true))).toEqual(["erp.invoices", "edi.inbound", "erp.orders.dlq"]);
    expect(names(filterQueues(rows, "erp", true))).toEqual(["erp.invoices", "erp.orders.dlq"]);
  });
});

describe("details readers", () => {
  it("reads a queue's figures, and nothing from other details", () => {
    const q = readQueue(queueCheck("erp.orders", { depth: 12, ready: 10, consumers: 2 }).details);
    expect(q?.queue).toMatchObject({ name: "erp.orders", depth: 12, ready: 10, unacked: 2, consumers: 2 });
    expect(q?.movement).toBe("idle");
    expect(q?.thresholds.max_depth).toBe(1000);
    expect(readQueue({ queues: 0 })).toBeNull();
    expect(readQueue({ queue: { name: "x", depth: 1 }, movement: "sideways" })).toBeNull();
    // Counters a broker leaves out read as 0.
    expect(readQueue({ queue: { name: "x", depth: 1 }, movement: "moving" })?.queue.publish_rate).toBe(0);
  });

  it("reads heartbeat, push and Prometheus details", () => {
    expect(readHeartbeat({ state: "missing", path: "/x", source: "mtime", max_age_s: 900 })).toMatchObject({
      state: "missing",
      max_age_s: 900,
      warn_age_s: null,
      last_beat: null,
    });
    expect(readHeartbeat({ state: "sleeping" })).toBeNull();
    const push = readPush({ state: "on-time", period_s: 300, pushed_status: "up", pushed_message: "ok" });
    expect(push).toMatchObject({ pushed_status: "up", pushed_message: "ok" });
    expect(readPush({ state: "on-time", pushed_status: "fine" })?.pushed_status).toBeNull();
    const sample = readPrometheus({
      value: "NaN",
      labels: { job: "erp", __bad: 3 },
      query: "up",
      thresholds: { down_below: 1 },
    });
    expect(sample).toMatchObject({ value: "NaN", labels: [["job", "erp"]], query: "up" });
    expect(sample?.thresholds).toEqual({
      degraded_above: null,
      down_above: null,
      degraded_below: null,
      down_below: 1,
    });
    expect(readPrometheus({ error: "auth" })).toBeNull();
  });
});
