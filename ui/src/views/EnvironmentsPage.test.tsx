import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { BackendError } from "../backend";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { Request } from "../bindings/Request";
import type { Role } from "../bindings/Role";
import { cabBoard, cabDetailOf, check, epicorPage, FakeBackend, NOW, overview } from "../test/fixtures";

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

function epicorBackend(
  handlers: Handlers = {},
  { role = "admin", hash = "#/environments" }: { role?: Role; hash?: string } = {},
) {
  window.location.hash = hash;
  return new FakeBackend({
    overview: () => overview(),
    session: () => ({ name: role === "admin" ? "ada" : "val", role }),
    epicor_environments: () => epicorPage(),
    ...handlers,
  });
}

const card = (name: string) => screen.getByRole("article", { name });
/** A fact of a card (its `dd`), by its label. */
const fact = (cardEl: HTMLElement, label: string) => {
  const dt = within(cardEl).getAllByText(label, { selector: "dt" }).at(0);
  if (!dt) throw new Error(`no fact ${label}`);
  return dt.nextElementSibling as HTMLElement;
};
const table = () => screen.getByRole("table", { name: "Side by side" });
const row = (selector: string) => table().querySelector<HTMLTableRowElement>(selector)!;
const cells = (tr: HTMLTableRowElement) =>
  [...tr.querySelectorAll("td")].map((td) => ({ text: td.textContent, drift: td.dataset.drift === "true" }));
const status = () => document.querySelector(".env-status")!;

async function renderCards(backend: FakeBackend) {
  render(<App backend={backend} />);
  await screen.findByRole("article", { name: "Epicor Live" });
}

async function renderComparison(backend: FakeBackend) {
  render(<App backend={backend} />);
  await screen.findByRole("table", { name: "Side by side" });
}

describe("Environments page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("is in the main navigation after CABs, with a card per environment in config order", async () => {
    await renderCards(epicorBackend());
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(
      within(nav)
        .getAllByRole("link")
        .map((a) => a.textContent),
    ).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments", "Credentials", "Settings"]);
    const link = within(nav).getByRole("link", { name: "Environments" });
    expect(link.getAttribute("href")).toBe("#/environments");
    expect(link.getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("heading", { level: 1, name: "Environments" })).toBeTruthy();

    const articles = screen.getAllByRole("article");
    expect(articles.map((a) => [a.dataset.epicorId, a.dataset.status])).toEqual([
      ["erp-live", "up"],
      ["erp-test", "up"],
      ["erp-dev", "degraded"],
      ["erp-98411", "up"],
    ]);
    expect(screen.getByRole("list", { name: "Epicor environments by status" }).textContent).toBe("1 degraded3 up");
  });

  it("shows what each card knows: version, health, companies, solutions, the SQL Server and the verdict", async () => {
    await renderCards(epicorBackend());
    const live = card("Epicor Live");
    // The environment's display name from the overview.
    expect(within(live).getByText("Production")).toBeTruthy();
    expect(within(live).getByText("Up")).toBeTruthy();
    expect(within(live).getByText("Epicor 11.2.400 (patch 11.2.400.12) · 2 companies · 2 solutions")).toBeTruthy();
    expect(fact(live, "Version").textContent).toBe("11.2.400");
    expect(fact(live, "Patch level").textContent).toBe("11.2.400.12");
    expect(fact(live, "Framework patch").textContent).toBe("4.2.400.12");
    expect(fact(live, "Health").textContent).toBe("✓App server: OK✓Database: OKanswers in 4 ms✓Report server: OK");
    expect(fact(live, "Companies").textContent).toBe("GHA (GHA Ltd)GHAIE (GHA Ireland)");
    expect(fact(live, "Server").textContent).toContain("REST v2 · company GHA");
    expect(within(live).getByRole("list", { name: "Warnings" }).textContent).toContain("compatibility level 140");

    // Solutions: a count that opens into the list, linked to the CABs they came from.
    const solutions = within(fact(live, "Solutions")).getByText("2 solutions");
    expect(solutions.closest("details")?.open).toBe(false);
    fireEvent.click(solutions);
    const orders = within(live).getByRole("link", { name: "GHA_Orders" });
    expect(orders.getAttribute("href")).toBe("#/cab/GHA%20Orders.cab");
    expect(orders.closest("li")?.textContent).toContain(
      "build 1 · GHA Orders.cab · company GHA · changed 20 May 2025 by dana",
    );

    // The SQL Server under it.
    const sql = within(live).getByRole("region", { name: "SQL Server" });
    expect(fact(sql, "Server").textContent).toBe("sql-live\\EPICOR");
    expect(fact(sql, "Product").textContent).toBe("SQL Server 2019 CU18 (KB5017593)");
    expect(fact(sql, "Version").textContent).toBe("15.0.4355.3");
    expect(fact(sql, "Edition").textContent).toBe("Standard Edition (64-bit)");
    expect(fact(sql, "Database").textContent).toBe("EpicorLive");
    expect(fact(sql, "State").textContent).toBe("ONLINE");
    expect(fact(sql, "Recovery model").textContent).toBe("Full");
    expect(fact(sql, "Compatibility level").textContent).toBe("140 below the server's 150");
    expect(fact(sql, "Size").textContent).toBe("50 GB data · 2 GB log");
    expect(fact(sql, "Last backups").textContent).toBe("Full 10 h agoDifferential none recordedLog 15 min ago");
    expect(fact(sql, "Support").textContent).toBe(
      "SQL Server 2019: mainstream support ended 28 Feb 2025; extended support until 8 Jan 2030",
    );

    expect(within(live).getByText("checked 5 s ago")).toBeTruthy();
    const history = within(live).getByRole("link", { name: "History and alerts of Epicor Live" });
    expect(history.getAttribute("href")).toBe("#/check/erp-live");

    // A failed health check and the problems beyond the verdict.
    const dev = card("Epicor Dev");
    const report = within(dev).getByText("Report server").closest("li")!;
    expect(report.textContent).toBe("✗Report server: failedHTTP 500: The report server did not answer.");
    expect(within(dev).getByRole("list", { name: "Problems" }).textContent).toBe("sign-in took 4.2 s");
  });

  it("says what an older Epicor does not offer as a fact, not a failure, and shows real failures", async () => {
    await renderCards(epicorBackend());
    const old = card("Customer 98411 (Epicor 10.2)");
    for (const label of ["Health", "Solutions"]) {
      const note = within(fact(old, label)).getByText("not available on this version");
      expect(note.className).toBe("env-neutral");
    }
    expect(old.querySelector(".env-failed")).toBeNull();
    expect(fact(old, "Server").textContent).toContain("REST v1");
    expect(within(old).getByRole("region", { name: "SQL Server" }).textContent).toBe(
      "SQL ServerSQL Server not configured",
    );
    expect(within(old).getByText("SQL Server not configured").className).toBe("env-neutral");

    // A part that failed says why, marked as a failure.
    const sql = within(card("Epicor Dev")).getByRole("region", { name: "SQL Server" });
    const failed = within(sql).getByText("cannot reach sql-dev:1433: connection refused");
    expect(failed.className).toBe("env-failed");
  });

  it("compares the environments side by side, marks what differs in words, and filters to the differences", async () => {
    await renderComparison(epicorBackend({}, { hash: "#/environments/compare" }));
    const tabs = screen.getByRole("navigation", { name: "Environment views" });
    expect(within(tabs).getByRole("link", { name: "Side by side" }).getAttribute("aria-current")).toBe("page");

    const heads = [...table().querySelectorAll("thead th")].map((th) => th.textContent);
    expect(heads).toEqual([
      "Fact",
      "Epicor LiveProduction",
      "Epicor Testtest",
      "Epicor Devdev",
      "Customer 98411 (Epicor 10.2)cust-98411",
    ]);

    // Patch level: Live is the odd one out against Test and Dev (and the older customer).
    const patch = row('tr[data-fact="Patch level"]');
    expect(patch.querySelector("th")?.textContent).toBe("Patch leveldiffers");
    expect(cells(patch)).toEqual([
      { text: "≠differs: 11.2.400.12", drift: true },
      { text: "11.2.400.14", drift: false },
      { text: "11.2.400.14", drift: false },
      { text: "≠differs: 10.2.500.31", drift: true },
    ]);
    // A fact no environment told is left out.
    expect(table().querySelector('tr[data-fact="SQL Server version"]')).toBeNull();
    expect(cells(row('tr[data-fact="SQL Server"]'))[1]).toEqual({ text: "—not known", drift: false });

    // Solutions: missing where the list is known and lacks it; not available on Epicor 10.
    const fieldService = row('tr[data-solution="GHA_FieldService"]');
    expect(cells(fieldService)).toEqual([
      { text: "≠differs: missing", drift: true },
      { text: "build 3 · GHA Field Service.cab", drift: false },
      { text: "build 3 · GHA Field Service.cab", drift: false },
      { text: "not available on this version", drift: false },
    ]);
    expect(cells(row('tr[data-solution="GHA_Orders"]')).map((c) => c.drift)).toEqual([true, false, false, false]);

    const rows = () =>
      [...table().querySelectorAll("tbody tr")].map(
        (tr) => (tr as HTMLElement).dataset.fact ?? (tr as HTMLElement).dataset.solution ?? tr.textContent,
      );
    expect(rows()).toEqual([
      "Epicor version",
      "Patch level",
      "SQL Server",
      "Companies",
      "Solutions",
      "GHA_FieldService",
      "GHA_Invoicing",
      "GHA_Orders",
    ]);
    expect(screen.getByText("5 rows differ")).toBeTruthy();

    fireEvent.click(screen.getByLabelText("Only differences"));
    expect(rows()).toEqual([
      "Epicor version",
      "Patch level",
      "Companies",
      "Solutions",
      "GHA_FieldService",
      "GHA_Orders",
    ]);
    // Remembered for the tab.
    expect(window.sessionStorage.getItem("opsdeck:environments-only-differences")).toBe("true");
  });

  it("links solutions to the CAB page where a CAB matches and the workflow is configured", async () => {
    const board = cabBoard();
    const backend = epicorBackend(
      {
        cab_board: () => board,
        cab_detail: (req) => cabDetailOf(board, "params" in req ? (req.params as { name: string }).name : ""),
        cab_audit: () => ({ entries: [], before: null }),
      },
      { hash: "#/environments/compare" },
    );
    await renderComparison(backend);
    const orders = within(row('tr[data-solution="GHA_Orders"]')).getByRole("link", { name: "GHA_Orders" });
    expect(orders.getAttribute("href")).toBe("#/cab/GHA%20Orders.cab");
    act(() => {
      window.location.hash = orders.getAttribute("href")!;
    });
    expect(await screen.findByRole("heading", { level: 1, name: "GHA Orders.cab" })).toBeTruthy();
  });

  it("shows solutions unlinked, and why, when the CABs cannot be matched", async () => {
    const problem = "the CAB catalogue did not load in time; solutions are shown unlinked";
    const page = epicorPage({ cab_problem: problem });
    page.comparison.solutions = page.comparison.solutions.map((s) => ({ ...s, cab: null }));
    await renderComparison(epicorBackend({ epicor_environments: () => page }, { hash: "#/environments/compare" }));
    expect(screen.getByText(`Solutions are not linked to CABs: ${problem}`)).toBeTruthy();
    expect(within(table()).queryAllByRole("link")).toEqual([]);
  });

  it("does not link to CABs without the CAB workflow", async () => {
    const page = epicorPage({ cab_workflow: false });
    await renderComparison(epicorBackend({ epicor_environments: () => page }, { hash: "#/environments/compare" }));
    expect(within(table()).queryAllByRole("link")).toEqual([]);
    expect(screen.queryByText(/Solutions are not linked/)).toBeNull();
  });

  it("offers Refresh to operators: inspects that environment now and shows the answer", async () => {
    const fresh = epicorPage();
    fresh.environments[0] = { ...fresh.environments[0]!, status: "down", message: "sign-in failed: HTTP 401" };
    const backend = epicorBackend({ epicor_refresh: () => fresh }, { role: "operator" });
    await renderCards(backend);

    fireEvent.click(within(card("Epicor Live")).getByRole("button", { name: "Refresh Epicor Live" }));
    expect(await within(card("Epicor Live")).findByText("sign-in failed: HTTP 401")).toBeTruthy();
    expect(card("Epicor Live").dataset.status).toBe("down");
    const sent = backend.calls.filter(
      (c): c is Extract<Request, { method: "epicor_refresh" }> => c.method === "epicor_refresh",
    );
    expect(sent.map((c) => c.params)).toEqual([{ id: "erp-live" }]);
    expect(status().textContent).toBe("Inspected Epicor Live: Down.");

    fireEvent.click(screen.getByRole("button", { name: "Refresh all" }));
    await waitFor(() => expect(status().textContent).toBe("Inspected 4 environments: 1 down, 1 degraded, 2 up."));
    expect(
      backend.calls.filter((c) => c.method === "epicor_refresh").map((c) => ("params" in c ? c.params : null)),
    ).toEqual([{ id: "erp-live" }, { id: null }]);
  });

  it("says why a refresh failed and keeps the card as it was", async () => {
    const backend = epicorBackend({
      epicor_refresh: () => {
        throw new BackendError({ code: "forbidden", message: "the token `ada` may not inspect environments" }, 403);
      },
    });
    await renderCards(backend);
    fireEvent.click(within(card("Epicor Test")).getByRole("button", { name: "Refresh Epicor Test" }));
    const alert = await within(card("Epicor Test")).findByRole("alert");
    expect(alert.textContent).toBe("Could not refresh Epicor Test: the token `ada` may not inspect environments");
    expect(card("Epicor Test").dataset.status).toBe("up");
  });

  it("hides Refresh from viewers and says which role it needs", async () => {
    const backend = epicorBackend({}, { role: "viewer" });
    await renderCards(backend);
    const main = screen.getByRole("main");
    expect(within(main).queryAllByRole("button", { name: /Refresh/ })).toEqual([]);
    expect(main.textContent).toContain("You are signed in as val (Viewer)");
    expect(main.textContent).toContain("inspecting one now needs the Operator role");
    // The way to a check's history is open to everyone.
    expect(within(card("Epicor Dev")).getByRole("link", { name: "History and alerts of Epicor Dev" })).toBeTruthy();
  });

  it("shows the server's error when the page cannot be loaded, and tries again", async () => {
    let fail = true;
    const backend = epicorBackend({
      epicor_environments: () => {
        if (fail) throw new BackendError({ code: "internal", message: "the engine is restarting" }, 500);
        return epicorPage();
      },
    });
    render(<App backend={backend} />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Cannot load the Epicor environments: the engine is restarting");
    fail = false;
    fireEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("article", { name: "Epicor Live" })).toBeTruthy();
  });

  it("says how to configure environments when there are none", async () => {
    const backend = epicorBackend({
      epicor_environments: (): EpicorPage => ({
        environments: [],
        comparison: { columns: [], facts: [], solutions: [] },
        cab_workflow: false,
        cab_problem: null,
      }),
    });
    render(<App backend={backend} />);
    const empty = await screen.findByRole("heading", { level: 2, name: "No Epicor environments" });
    expect(empty.parentElement?.textContent).toContain(
      "No Epicor environments are configured: add [[epicor]] tables to the config file (see the config reference",
    );
    expect(screen.queryByRole("button", { name: "Refresh all" })).toBeNull();
  });

  it("fetches again when an Epicor check says something new, not for every result", async () => {
    const backend = epicorBackend();
    await renderCards(backend);
    expect(backend.count("epicor_environments")).toBe(1);
    const live = epicorPage().environments[0]!;
    const result = (message: string) =>
      check({ id: "erp-live", type: "epicor", name: "Epicor Live", status: "up", message });

    // The same verdict again: nothing to fetch.
    act(() => backend.emit({ kind: "result", check: result(live.message) }));
    // Other checks' results are not this page's business.
    act(() => backend.emit({ kind: "result", check: check({ id: "web", message: "HTTP 503" }) }));
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("epicor_environments")).toBe(1);

    act(() =>
      backend.emit({
        kind: "result",
        check: result("Epicor 11.2.400 (patch 11.2.400.14) · 2 companies · 2 solutions"),
      }),
    );
    await act(() => new Promise((r) => setTimeout(r, 1200)));
    expect(backend.count("epicor_environments")).toBe(2);

    // And now and then, for the times and ages.
    act(() => {
      vi.advanceTimersByTime(3 * 60_000);
    });
    await waitFor(() => expect(backend.count("epicor_environments")).toBe(3));
  });

  it("leads a check's page opened from a card back to the environments", async () => {
    await renderCards(epicorBackend({ check_detail: () => Promise.reject(new Error("not needed")) }));
    act(() => {
      window.location.hash = "#/check/erp-live";
    });
    const back = await screen.findByRole("link", { name: "← All environments" });
    expect(back.getAttribute("href")).toBe("#/environments");
    // Back on the cards, the keyboard is where it was.
    act(() => {
      window.location.hash = "#/environments";
    });
    await waitFor(() => expect(document.activeElement?.textContent).toBe("History and alerts of Epicor Live"));
  });
});
