import { describe, expect, it } from "vitest";
import { bigOverview, check, overview } from "../test/fixtures";
import { fold, jumpTargets, searchJumpTargets } from "./jump";

const titles = (query: string, limit = 50) =>
  searchJumpTargets(jumpTargets(overview()), query, limit).targets.map((t) => t.title);

describe("jump search", () => {
  it("ranks an exact or leading name match above a match elsewhere", () => {
    const o = overview();
    o.environments[0]!.checks.push(
      check({ id: "api-gateway", name: "Gateway for the API" }),
      check({ id: "apix", name: "API" }),
    );
    const found = searchJumpTargets(jumpTargets(o), "api", 50).targets.map((t) => t.title);
    expect(found.slice(0, 3)).toEqual(["API", "Payments API", "Gateway for the API"]);
  });

  it("needs every word to match somewhere", () => {
    expect(titles("staging auth")).toEqual(["Auth"]);
    expect(titles("staging billing")).toEqual([]);
  });

  it("matches tags, ids and environment ids", () => {
    expect(titles("billing")).toEqual(["Payments API"]);
    expect(titles("web")).toEqual(["Website"]);
    expect(titles("prod")).toEqual(["Payments API", "Website"]);
  });

  it("ignores case and accents", () => {
    const o = overview();
    o.environments[0]!.checks.push(check({ id: "zurich", name: "Zürich Portal" }));
    const found = searchJumpTargets(jumpTargets(o), "ZURICH", 50).targets.map((t) => t.title);
    expect(found).toEqual(["Zürich Portal"]);
    expect(fold("Ångström")).toBe("angstrom");
  });

  it("caps the results and counts them all", () => {
    const targets = jumpTargets(bigOverview(1500));
    const result = searchJumpTargets(targets, "service", 50);
    expect(result.targets).toHaveLength(50);
    expect(result.total).toBe(1500);
    // The worst come first among equally good matches.
    expect(result.targets[0]?.status).toBe("down");
  });

  it("lists pages, then checks worst first, for an empty query", () => {
    expect(titles("")).toEqual([
      "Overview",
      "Queues",
      "Alerts",
      "CABs",
      "Environments",
      "Credentials",
      "Settings",
      "Payments API",
      "Search",
      "Website",
      "Auth",
    ]);
    expect(titles("", 3)).toEqual(["Overview", "Queues", "Alerts"]);
  });

  it("finds the Environments page by what it is about", () => {
    expect(titles("epicor")).toEqual(["Environments"]);
    expect(titles("erp")).toEqual(["Environments"]);
  });

  it("lists the admin's pages only for an admin", () => {
    const pages = (admin: boolean) =>
      jumpTargets(overview(), admin)
        .filter((t) => t.kind === "page")
        .map((t) => t.title);
    expect(pages(true)).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments", "Credentials", "Settings"]);
    expect(pages(false)).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments"]);
  });

  it("reuses targets of unchanged checks", () => {
    const o = overview();
    const before = jumpTargets(o);
    const after = jumpTargets(o);
    expect(after[2]).toBe(before[2]);
  });
});
