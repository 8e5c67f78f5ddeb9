import { describe, expect, it } from "vitest";
import { delivery, NOW, openAlert } from "../test/fixtures";
import { checkOf, describeAlertState, describeDelivery, snoozeOf, sortOpenAlerts } from "./alerts";

describe("alerts", () => {
  it("orders open alerts worst first, then longest open first", () => {
    const sorted = sortOpenAlerts([
      openAlert("a", { status: "degraded" }, 9_000_000),
      openAlert("b", { status: "down" }, 60_000),
      openAlert("c", { status: "unknown" }, 120_000),
      openAlert("d", { status: "down" }, 600_000),
    ]);
    expect(sorted.map((a) => a.series)).toEqual(["d", "b", "c", "a"]);
  });

  it("finds a result's own snooze before its check's", () => {
    const own = { series: "erp-mq/erp.sync", until_ms: NOW + 1, by: null, note: null };
    const check = { series: "erp-mq", until_ms: NOW + 2, by: "ada", note: null };
    expect(checkOf("erp-mq/erp.sync")).toBe("erp-mq");
    expect(checkOf("web")).toBe("web");
    expect(snoozeOf("erp-mq/erp.sync", [check, own])).toBe(own);
    expect(snoozeOf("erp-mq/erp.orders", [check, own])).toBe(check);
    expect(snoozeOf("web", [check, own])).toBeNull();
  });

  it("says where an alert stands", () => {
    expect(describeAlertState(openAlert("x"))).toEqual(["notified"]);
    expect(describeAlertState(openAlert("x", { notified_at_ms: null }))).toEqual(["not notified yet"]);
    expect(describeAlertState(openAlert("x", { acked_at_ms: NOW, acked_by: "grace" }))).toEqual([
      "acknowledged by grace",
    ]);
    expect(
      describeAlertState(
        openAlert("x", { acked_at_ms: NOW, acked_by: "grace", ack_note: "on it", suppressed_by: "suppressed by db" }),
      ),
    ).toEqual(["held back: suppressed by db", "acknowledged by grace: on it"]);
  });

  it("says how a delivery went", () => {
    expect(describeDelivery(delivery("n", { sent_at: null }))).toBe("Sent");
    expect(describeDelivery(delivery("n", { attempts: 3 }))).toMatch(/^Sent at \d{2}:\d{2}:\d{2}, after 3 attempts$/);
    expect(describeDelivery(delivery("n", { state: "pending", attempts: 0, sent_at: null }))).toBe(
      "Pending: not tried yet",
    );
    expect(
      describeDelivery(delivery("n", { state: "pending", attempts: 1, sent_at: null, next_attempt_at: "2025-06-01T12:01:00Z" })),
    ).toMatch(/^Pending: 1 attempt, next at \d{2}:01:00$/);
    expect(describeDelivery(delivery("n", { state: "failed", attempts: 8, sent_at: null }))).toBe(
      "Gave up after 8 attempts",
    );
  });
});
