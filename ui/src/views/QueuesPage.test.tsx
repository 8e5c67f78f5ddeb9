import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { QueueList } from "../bindings/QueueList";
import {
  bigQueueList,
  detail,
  FakeBackend,
  figures,
  NOW,
  overview,
  queueCheck,
  queueList,
} from "../test/fixtures";

const table = () => screen.getByRole("table", { name: "Queues" });

/** The queue names in the table, top to bottom. */
const shownQueues = () =>
  within(table())
    .getAllByRole("link")
    .map((a) => a.textContent);

function rowOf(queue: string): HTMLElement {
  const row = within(table()).getByRole("link", { name: queue }).closest("tr");
  if (!row) throw new Error(`no row for ${queue}`);
  return row;
}

describe("Queues", () => {
  let data: QueueList;
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    data = queueList();
    backend = new FakeBackend({ overview: () => overview(), queues: () => data });
    window.location.hash = "#/queues";
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("lists every queue of every broker, trouble first", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });

    expect(shownQueues()).toEqual([
      // Down: stalled before no consumers, whatever the depth.
      "erp.invoices",
      "edi.inbound",
      "erp.orders.dlq",
      // Up: growing, then moving (deepest first), then idle.
      "edi.outbound",
      "erp.big",
      "erp.orders",
      "erp.audit",
    ]);
    expect(screen.getByRole("heading", { level: 1, name: "Queues" })).toBeTruthy();
    expect(screen.getByText("7 queues")).toBeTruthy();
    expect(screen.getByRole("list", { name: "Queues by status" }).textContent).toContain("2 down");
    expect(screen.getByText("1 stalled, 1 no consumers, 1 growing")).toBeTruthy();
  });

  it("shows status, broker, movement, depth, consumers and rates on each row", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });

    const orders = rowOf("erp.orders");
    expect(within(orders).getByText("Up")).toBeTruthy();
    expect(within(orders).getByText("ERP broker")).toBeTruthy();
    expect(within(orders).getByText("Moving")).toBeTruthy();
    expect(within(orders).getByText("100 ready / 20 unacked")).toBeTruthy();
    expect(orders.querySelector(".q-depth")?.firstChild?.textContent).toBe("120");
    expect(within(orders).getByText("12.5")).toBeTruthy();
    expect(within(orders).getByText("12.3")).toBeTruthy();
    expect(within(orders).getByRole("link", { name: "erp.orders" }).getAttribute("href")).toBe(
      "#/check/erp-mq%2Ferp.orders",
    );
    expect(orders.querySelector("svg.spark path")?.getAttribute("d")).toBe("M0 13L32 1L64 7");
    expect(orders.querySelector("svg.spark")?.getAttribute("aria-hidden")).toBe("true");

    const starved = rowOf("edi.inbound");
    expect(within(starved).getByText("Down")).toBeTruthy();
    expect(within(starved).getByText("No consumers")).toBeTruthy();
    expect(within(starved).getByText("EDI broker")).toBeTruthy();
    expect(within(starved).getByText("min 1")).toBeTruthy();

    expect(within(rowOf("erp.orders.dlq")).getByText("dead letters")).toBeTruthy();
    expect(within(rowOf("erp.orders")).queryByText("dead letters")).toBeNull();
  });

  it("filters by queue and broker name, and shows only problems when asked", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });
    const filter = screen.getByRole("searchbox", { name: "Filter queues" });

    fireEvent.change(filter, { target: { value: "edi" } });
    expect(shownQueues()).toEqual(["edi.inbound", "edi.outbound"]);
    expect(screen.getByText("Showing 2 of 7 queues")).toBeTruthy();

    fireEvent.change(filter, { target: { value: "ERP broker orders" } });
    expect(shownQueues()).toEqual(["erp.orders.dlq", "erp.orders"]);

    fireEvent.change(filter, { target: { value: "" } });
    fireEvent.click(screen.getByRole("checkbox", { name: "Only problems" }));
    expect(shownQueues()).toEqual(["erp.invoices", "edi.inbound", "erp.orders.dlq"]);
    expect(screen.getByText("Showing 3 of 7 queues")).toBeTruthy();

    fireEvent.change(filter, { target: { value: "nothing-like-it" } });
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText("No queue matches.")).toBeTruthy();
  });

  it("updates a row from a result event without fetching the list again", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });
    expect(backend.count("queues")).toBe(1);

    const stalled = queueCheck("erp.orders", {
      status: "down",
      movement: "stalled",
      depth: 130,
      ready: 130,
      consumers: 3,
      msAgo: 0,
    });
    act(() => backend.emit({ kind: "result", check: stalled }));

    await waitFor(() => expect(within(rowOf("erp.orders")).getByText("Stalled")).toBeTruthy());
    const row = rowOf("erp.orders");
    expect(within(row).getByText("Down")).toBeTruthy();
    expect(within(row).getByText("130 ready / 0 unacked")).toBeTruthy();
    // Its depth joins the sparkline.
    expect(row.querySelector("svg.spark path")?.getAttribute("d")?.match(/[ML]/g)).toHaveLength(4);
    // Now stalled and down: among the first.
    expect(shownQueues().slice(0, 3)).toEqual(["erp.orders", "erp.invoices", "edi.inbound"]);
    expect(screen.getByRole("list", { name: "Queues by status" }).textContent).toContain("3 down");
    expect(backend.count("queues")).toBe(1);

    // Results of other check types leave the list alone; an older result is ignored.
    act(() => backend.emit({ kind: "result", check: { ...overview().environments[0]!.checks[1]! } }));
    act(() =>
      backend.emit({ kind: "result", check: queueCheck("erp.orders", { movement: "idle", msAgo: 60_000 }) }),
    );
    await act(() => new Promise((r) => setTimeout(r, 150)));
    expect(within(rowOf("erp.orders")).getByText("Stalled")).toBeTruthy();
    expect(backend.count("queues")).toBe(1);
  });

  it("fetches the list again when a queue is removed, and the queue disappears", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });
    expect(shownQueues()).toContain("erp.audit");

    data = { queues: data.queues.filter((r) => r.check.id !== "erp-mq/erp.audit") };
    act(() => backend.emit({ kind: "removed", ids: ["erp-mq/erp.audit"] }));

    await waitFor(() => expect(shownQueues()).not.toContain("erp.audit"));
    expect(backend.count("queues")).toBe(2);
    expect(screen.getByText("6 queues")).toBeTruthy();
  });

  it("fetches the list again for a queue it does not have yet", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });

    const fresh = queueCheck("erp.new", { msAgo: 0 });
    data = { queues: [...data.queues, { check: fresh, sparkline: [0] }] };
    act(() => backend.emit({ kind: "result", check: fresh }));

    await waitFor(() => expect(shownQueues()).toContain("erp.new"));
    expect(backend.count("queues")).toBe(2);
  });

  it("says how to watch queues when there are none", async () => {
    backend = new FakeBackend({ overview: () => overview(), queues: () => ({ queues: [] }) });
    render(<App backend={backend} />);

    expect(await screen.findByRole("heading", { name: "No queues are watched yet" })).toBeTruthy();
    expect(screen.getAllByText('type = "rabbitmq"').length).toBeGreaterThan(0);
    expect(screen.getByText(/docs\/config-reference\.md/)).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("offers to retry when the list cannot be loaded", async () => {
    let fail = true;
    backend = new FakeBackend({
      overview: () => overview(),
      queues: () => {
        if (fail) throw Object.assign(new Error("boom"), { code: "internal" });
        return data;
      },
    });
    render(<App backend={backend} />);

    expect((await screen.findByRole("alert")).textContent).toContain("Cannot load the queues: boom");
    fail = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByRole("table", { name: "Queues" });
  });

  it("is in the main navigation, and a queue's page leads back to it", async () => {
    const orders = data.queues[1]!.check;
    backend = new FakeBackend({
      overview: () => overview(),
      queues: () => data,
      check_detail: () => detail(orders),
      figures: (req) => figures(orders.id, req.method === "figures" ? req.params.window : "6h", []),
    });
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });
    const nav = screen.getByRole("navigation", { name: "Main" });
    const link = within(nav).getByRole("link", { name: "Queues" });
    expect(link.getAttribute("href")).toBe("#/queues");
    expect(link.getAttribute("aria-current")).toBe("page");

    act(() => {
      window.location.hash = "#/check/erp-mq%2Ferp.orders";
    });
    const back = await screen.findByRole("link", { name: "← All queues" });
    expect(back.getAttribute("href")).toBe("#/queues");

    act(() => {
      window.location.hash = "#/queues";
    });
    // Back on the list, with the queue just left focused.
    await screen.findByRole("table", { name: "Queues" });
    await waitFor(() => expect(document.activeElement?.textContent).toBe("erp.orders"));
    expect(document.activeElement?.closest("table")).toBe(table());
  });

  it("renders 500 queues with their sparklines", async () => {
    data = bigQueueList(500);
    render(<App backend={backend} />);
    await screen.findByRole("table", { name: "Queues" });

    expect(table().querySelectorAll("tbody tr")).toHaveLength(500);
    expect(table().querySelectorAll("svg.spark path")).toHaveLength(500);
    // One path per sparkline, never an element per point.
    expect(table().querySelectorAll("svg.spark *")).toHaveLength(500);
    const first = table().querySelector("tbody tr");
    expect(first?.querySelector(".status-text")?.textContent).toBe("Down");
    expect(first?.textContent).toContain("Stalled");
  });
});
