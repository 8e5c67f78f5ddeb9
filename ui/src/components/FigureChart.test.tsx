import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { FigureChart, niceCount, niceDuration, type FigureChartProps } from "./FigureChart";

const MIN = 60_000;
const END = Date.parse("2025-06-01T12:00:00Z");

function chart(props: Partial<FigureChartProps>) {
  render(
    <FigureChart
      caption="Depth, last hour"
      times={[END - 50 * MIN, END - 40 * MIN, END - 30 * MIN]}
      series={[{ label: "Depth", values: [0, 50, 100] }]}
      endMs={END}
      windowMs={60 * MIN}
      bucketMs={0}
      gapMs={15 * MIN}
      format={String}
      emptyText="Nothing yet."
      {...props}
    />,
  );
  return screen.queryByRole("img");
}

describe("FigureChart", () => {
  it("draws each series as one path, broken where results are missing", () => {
    const img = chart({
      times: [END - 50 * MIN, END - 45 * MIN, END - 10 * MIN, END - 5 * MIN],
      series: [{ label: "Depth", values: [10, 20, 30, 40] }],
    });
    const d = img?.querySelector("path")?.getAttribute("d") ?? "";
    // Two runs: each starts with a move.
    expect(d.match(/M/g)).toHaveLength(2);
    expect(img?.querySelectorAll("path")).toHaveLength(1);
    expect(img?.getAttribute("aria-label")).toBe("Depth, last hour: Depth from 10 to 40.");
  });

  it("draws thresholds near the figures as labelled lines, and names the far ones", () => {
    const img = chart({
      thresholds: [
        { label: "max depth 150", value: 150, tone: "limit" },
        { label: "max depth 100,000", value: 100_000, tone: "warn" },
      ],
    });
    expect(img?.querySelectorAll("line.chart-threshold")).toHaveLength(1);
    expect(img?.getAttribute("aria-label")).toContain("Lines: max depth 150; max depth 100,000 (above the chart).");
    expect(screen.getAllByText("max depth 150").length).toBe(2); // on the line and in the legend
  });

  it("puts the zero line inside the scale for negative values, with a round middle", () => {
    chart({ series: [{ label: "Value", values: [-5, 10, 45] }] });
    const axis = [...document.querySelectorAll(".chart-y span")].map((s) => s.textContent);
    expect(axis).toEqual(["60", "20", "-20"]);
  });

  it("says so when the window holds no figures", () => {
    expect(chart({ series: [{ label: "Depth", values: [null, null, null] }] })).toBeNull();
    expect(screen.getByText("Nothing yet.")).toBeTruthy();
  });

  it("rounds tops to values whose half is round too", () => {
    expect([0, 0.5, 3, 11, 450, 1177].map(niceCount)).toEqual([1, 0.6, 4, 20, 600, 2000]);
    expect([0, 45, 700, 3000, 90_000, 500_000].map(niceDuration)).toEqual([
      10, 60, 1200, 3600, 172_800, 691_200,
    ]);
  });
});
