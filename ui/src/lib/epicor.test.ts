import { describe, expect, it } from "vitest";
import type { SqlFacts } from "../bindings/SqlFacts";
import { check, epicorPage, NOW } from "../test/fixtures";
import {
  backupInstant,
  cabsBySolution,
  changesEpicorPage,
  compatibilityBehind,
  formatMegabytes,
  oddOnesOut,
  partNote,
  sqlProductLabel,
} from "./epicor";
import { formatCalendarDate } from "./format";

describe("Epicor environments", () => {
  it("marks the values of a drifting row that stand out from the one most share", () => {
    expect(oddOnesOut(["11.2.400.12", "11.2.400.14", "11.2.400.14", "10.2.500.31"])).toEqual([
      true,
      false,
      false,
      true,
    ]);
    // Nothing shared by more than the rest: every known value differs.
    expect(oddOnesOut(["a", "b", null])).toEqual([true, true, false]);
    expect(oddOnesOut(["a", "a", "b", "b"])).toEqual([true, true, true, true]);
    expect(oddOnesOut([null, null])).toEqual([false, false]);
  });

  it("tells a part not offered by the version from one that failed or was left out", () => {
    const [live, , dev, old] = epicorPage().environments;
    expect(partNote(old!, "health")).toEqual({ tone: "neutral", text: "not available on this version" });
    expect(partNote(live!, "health")).toBeNull();
    expect(partNote(dev!, "sql", "SQL Server not configured")).toEqual({
      tone: "failed",
      text: "cannot reach sql-dev:1433: connection refused",
    });
    expect(partNote(old!, "sql", "SQL Server not configured")).toEqual({
      tone: "neutral",
      text: "SQL Server not configured",
    });
    expect(partNote({ ...live!, parts: [] }, "health")).toEqual({ tone: "neutral", text: "not checked yet" });
  });

  it("says the SQL Server facts in words", () => {
    const sql = epicorPage().environments[0]!.sql!;
    expect(sqlProductLabel(sql)).toBe("SQL Server 2019 CU18");
    const sp: SqlFacts = { ...sql, product: "SQL Server 2016", product_level: "SP2", update_level: "CU17" };
    expect(sqlProductLabel(sp)).toBe("SQL Server 2016 SP2 CU17");
    expect(sqlProductLabel({ ...sql, update_level: null })).toBe("SQL Server 2019");
    expect(compatibilityBehind(sql)).toBe(true);
    expect(compatibilityBehind({ ...sql, database: { ...sql.database, compatibility_level: 150 } })).toBe(false);
    expect([
      formatMegabytes(640.4),
      formatMegabytes(12_595),
      formatMegabytes(1_258_291),
      formatMegabytes(null),
    ]).toEqual(["640 MB", "12.3 GB", "1.2 TB", "—"]);
    expect(backupInstant("2025-06-01T12:00:00Z", 90)).toBe("2025-06-01T10:30:00.000Z");
    expect(formatCalendarDate("2030-01-08")).toBe("8 Jan 2030");
  });

  it("links solutions to CABs only where the workflow is configured", () => {
    expect([...cabsBySolution(epicorPage()).entries()]).toEqual([
      ["GHA_FieldService", "GHA Field Service.cab"],
      ["GHA_Invoicing", "GHA Invoicing.cab"],
      ["GHA_Orders", "GHA Orders.cab"],
    ]);
    expect(cabsBySolution(epicorPage({ cab_workflow: false })).size).toBe(0);
  });

  it("fetches the page again only for news about an Epicor environment", () => {
    const page = epicorPage();
    const live = page.environments[0]!;
    const result = (partial: Parameters<typeof check>[0]) => ({ kind: "result" as const, check: check(partial) });
    const epicor = { id: "erp-live", type: "epicor", status: live.status, message: live.message };
    expect(changesEpicorPage(result(epicor), page)).toBe(false);
    expect(changesEpicorPage(result({ ...epicor, message: "sign-in failed: HTTP 401" }), page)).toBe(true);
    expect(changesEpicorPage(result({ ...epicor, status: "down" }), page)).toBe(true);
    expect(changesEpicorPage(result({ ...epicor, id: "erp-new" }), page)).toBe(true);
    expect(changesEpicorPage(result({ id: "web" }), page)).toBe(false);
    // The first answer is on its way.
    expect(changesEpicorPage(result(epicor), null)).toBe(false);
    const at = new Date(NOW).toISOString();
    expect(
      changesEpicorPage(
        { kind: "transition", transition: { id: "erp-dev", from: "up", to: "degraded", reason: "", at } },
        page,
      ),
    ).toBe(true);
    expect(
      changesEpicorPage(
        { kind: "transition", transition: { id: "web", from: "up", to: "down", reason: "", at } },
        page,
      ),
    ).toBe(false);
    expect(changesEpicorPage({ kind: "config", path: null, error: null }, page)).toBe(true);
    expect(changesEpicorPage({ kind: "removed", ids: ["erp-dev"] }, page)).toBe(true);
  });
});
