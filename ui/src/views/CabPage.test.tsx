import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { BackendError } from "../backend";
import type { AuditPage } from "../bindings/AuditPage";
import type { Board } from "../bindings/Board";
import type { Promoted } from "../bindings/Promoted";
import type { Request } from "../bindings/Request";
import type { Role } from "../bindings/Role";
import type { VersionState } from "../bindings/VersionState";
import { saveFile } from "../lib/cab";
import {
  auditEntry,
  cabBoard,
  cabBoardWithEpicor,
  cabDetailOf,
  cabVersion,
  commitOf,
  FakeBackend,
  NOW,
  overview,
  shaOf,
} from "../test/fixtures";

vi.mock("../lib/cab", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../lib/cab")>()),
  saveFile: vi.fn(),
}));
const saved = vi.mocked(saveFile);

type Handlers = ConstructorParameters<typeof FakeBackend>[0];

/** The params of a method's requests. */
type ParamsOf<M extends Request["method"]> = Extract<Request, { method: M }> extends { params: infer P } ? P : never;

/** The params of every request of `method` sent so far. */
function params<M extends Request["method"]>(backend: FakeBackend, method: M): ParamsOf<M>[] {
  return backend.calls.filter((c) => c.method === method).map((c) => ("params" in c ? c.params : undefined) as ParamsOf<M>);
}

/** The params of a request, for handlers that answer by them. */
function paramsOf<M extends Request["method"]>(req: Request, method: M): ParamsOf<M> {
  if (req.method !== method || !("params" in req)) throw new Error(`expected ${method}, got ${req.method}`);
  return req.params as ParamsOf<M>;
}

interface Setup {
  role?: Role;
  /** The opsdeck caller's name (a token's, or "local user" on the desktop). */
  name?: string;
  hash?: string;
  board?: Board;
}

function cabBackend(handlers: Handlers = {}, { role = "admin", name = "ada", hash = "#/cabs", board }: Setup = {}) {
  window.location.hash = hash;
  const theBoard = board ?? cabBoard();
  return new FakeBackend({
    overview: () => overview(),
    session: () => ({ name, role }),
    cab_board: () => theBoard,
    cab_detail: (req) => cabDetailOf(theBoard, paramsOf(req, "cab_detail").name),
    cab_audit: (): AuditPage => ({ entries: [], before: null }),
    ...handlers,
  });
}

const pipeline = () => screen.getByRole("table", { name: "Pipeline" });
const row = (name: string) => within(pipeline()).getByRole("row", { name: new RegExp(`^${name}`) });
const status = () => screen.getAllByRole("status").find((s) => s.classList.contains("settings-status"))!;
const dialog = (name: string) => screen.getByRole("dialog", { name });
/** The reason shown for a disabled button (its accessible description). */
const reason = (button: HTMLElement) =>
  (button.getAttribute("aria-describedby") ?? "")
    .split(" ")
    .map((id) => document.getElementById(id)?.textContent ?? "")
    .join(" ")
    .trim();
const versionItem = (n: number) => screen.getByRole("listitem", { name: `Version ${n}` });

async function renderList(backend: FakeBackend) {
  render(<App backend={backend} />);
  await screen.findByRole("table", { name: "Pipeline" });
}

async function renderDetail(backend: FakeBackend, version = 1) {
  render(<App backend={backend} />);
  return screen.findByRole("listitem", { name: `Version ${version}` });
}

/** Bytes of a small cabinet file. */
const CAB_BYTES = new Uint8Array([0x4d, 0x53, 0x43, 0x46, 0, 0, 0, 0, 1, 2, 3, 4]);

function chooseFile(dialogEl: HTMLElement, file: File) {
  fireEvent.change(within(dialogEl).getByLabelText("CAB file"), { target: { files: [file] } });
}

describe("CAB page", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    saved.mockClear();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("is in the main navigation after Alerts, and says where the CABs are and who you are in Bitbucket", async () => {
    await renderList(cabBackend());
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getAllByRole("link").map((a) => a.textContent)).toEqual([
      "Overview",
      "Queues",
      "Alerts",
      "CABs",
      "Environments",
      "Credentials",
      "Settings",
    ]);
    const link = within(nav).getByRole("link", { name: "CABs" });
    expect(link.getAttribute("href")).toBe("#/cabs");
    expect(link.getAttribute("aria-current")).toBe("page");
    expect(screen.getByRole("heading", { level: 1, name: "CABs" })).toBeTruthy();

    const main = screen.getByRole("main");
    expect(main.textContent).toContain("gha/epicor-cabs on bitbucket-cloud: cabs/ on main");
    expect(main.textContent).toContain("Dana Demo (dana@example.com)");
    expect(main.textContent).toContain("1 required, from anna@example.com, boss@example.com, dana@example.com");
    expect(main.textContent).toContain("/srv/GHA Mods - New CABs");
    expect(within(main).getByText("Approver")).toBeTruthy();
    expect(within(main).getByText("Publisher")).toBeTruthy();
  });

  it("shows every CAB's stage as a pipeline, what it waits for, and the environment matrix", async () => {
    await renderList(cabBackend());
    const rows = within(pipeline()).getAllByRole("row").slice(1);
    expect(rows.map((r) => [r.dataset.cab, r.dataset.stage])).toEqual([
      ["GHA Field Service.cab", "approved"],
      ["GHA Invoicing.cab", "promoted"],
      ["GHA Orders.cab", "rejected"],
      ["GHA Quotes.cab", "in-repo"],
    ]);
    expect(within(pipeline()).getAllByRole("columnheader").map((h) => h.textContent)).toEqual([
      "CAB",
      "Stage",
      "Live",
      "Test",
      "Dev",
      "Promoted",
    ]);

    // The four steps, the current one marked; a rejection in place of the approval.
    const fs = row("GHA Field Service.cab");
    const steps = within(fs).getByRole("list", { name: "Stage: Approved" });
    expect(within(steps).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "In repository, done",
      "Installed, done",
      "Approved, current stage",
      "Promoted, not yet",
    ]);
    expect(steps.querySelector('[aria-current="step"]')?.textContent).toBe("Approved, current stage");
    const orders = row("GHA Orders.cab");
    expect(within(orders).getByRole("list", { name: "Stage: Rejected" }).textContent).toContain(
      "Rejected, current stage",
    );
    expect(orders.textContent).toContain("Rejected by Bo Sørensen <boss@example.com>: The form does not open in Test");
    expect(row("GHA Quotes.cab").textContent).toContain("Waiting for 0 of 1 approvals");
    expect(fs.textContent).toContain("v3 of 3 · Ben Developer");
    expect(within(fs).getByRole("link", { name: "GHA Field Service.cab" }).getAttribute("href")).toBe(
      "#/cab/GHA%20Field%20Service.cab",
    );

    // One column per environment: the version there, marked when it is not the newest.
    const cells = (r: HTMLElement) => within(r).getAllByRole("cell").slice(1).map((c) => c.textContent);
    expect(cells(fs)).toEqual(["v2not newest", "v3", "v3", "—none"]);
    expect(cells(row("GHA Invoicing.cab"))).toEqual(["v1", "v1", "—none", "v1"]);
    expect(cells(row("GHA Quotes.cab"))).toEqual(["—none", "—none", "—none", "—none"]);
    expect(within(fs).getByText("v2").closest(".cab-placed")?.classList.contains("cab-placed-old")).toBe(true);
  });

  it("finds a CAB by name", async () => {
    await renderList(cabBackend());
    const search = screen.getByRole("searchbox", { name: "Find a CAB" });
    fireEvent.change(search, { target: { value: "ORD" } });
    expect(within(pipeline()).getAllByRole("row").slice(1).map((r) => r.dataset.cab)).toEqual(["GHA Orders.cab"]);
    expect(screen.getByText("Showing 1 of 4 CABs")).toBeTruthy();
    fireEvent.change(search, { target: { value: "shipping" } });
    expect(screen.getByText("No CAB matches “shipping”.")).toBeTruthy();
  });

  it("says so, with the way to set it up, when the workflow is not configured", async () => {
    let configured = false;
    const backend = cabBackend({
      cab_board: () => {
        if (!configured) {
          throw new BackendError(
            {
              code: "unavailable",
              message: "the CAB workflow is not configured: add a `[cab]` table to the configuration file",
            },
            503,
          );
        }
        return cabBoard();
      },
    });
    render(<App backend={backend} />);
    expect(await screen.findByRole("heading", { name: "The CAB workflow is not set up" })).toBeTruthy();
    const main = screen.getByRole("main");
    expect(main.textContent).toContain(
      "the CAB workflow is not configured: add a [cab] table to the configuration file",
    );
    expect(within(main).getAllByText("[cab]")[0]!.tagName).toBe("CODE");
    expect(screen.queryByRole("button", { name: "Upload CAB" })).toBeNull();

    configured = true;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("table", { name: "Pipeline" })).toBeTruthy();
  });

  it("says when Bitbucket cannot be read, and keeps the last board when a refresh fails", async () => {
    let down = false;
    const backend = cabBackend({
      cab_board: () => {
        if (down) throw new BackendError({ code: "unavailable", message: "Bitbucket answered 503" }, 503);
        return cabBoard();
      },
    });
    await renderList(backend);
    down = true;
    fireEvent.click(screen.getByRole("button", { name: "Refresh" }));
    expect(await screen.findByText(/Could not refresh: Bitbucket answered 503/)).toBeTruthy();
    expect(pipeline()).toBeTruthy();
  });

  describe("roles", () => {
    it("shows a viewer the pipeline and downloads only", async () => {
      const backend = cabBackend({}, { role: "viewer", name: "val", hash: "#/cab/GHA%20Quotes.cab" });
      const item = await renderDetail(backend);
      expect(within(item).getAllByRole("button").map((b) => b.textContent)).toEqual(["Download version 1"]);
      expect(screen.getByText(/You are signed in as val \(Viewer\): you can follow the pipeline and download CABs/)).toBeTruthy();

      act(() => {
        window.location.hash = "#/cabs";
      });
      await screen.findByRole("table", { name: "Pipeline" });
      expect(screen.queryByRole("button", { name: "Upload CAB" })).toBeNull();
    });

    it("lets an operator upload and record installs, not approve, reject or promote", async () => {
      const backend = cabBackend({}, { role: "operator", name: "otto", hash: "#/cab/GHA%20Quotes.cab" });
      const item = await renderDetail(backend);
      expect(within(item).getAllByRole("button").map((b) => b.textContent)).toEqual([
        "Record install version 1",
        "Download version 1",
      ]);
      expect(screen.getByText(/approving, rejecting and promoting need the Approver role/)).toBeTruthy();
    });

    it("disables, with the reason, what the Bitbucket account may not do", async () => {
      const board = cabBoard();
      board.roles = { ...board.roles!, approver: false, publisher: false };
      const backend = cabBackend({}, { board, hash: "#/cab/GHA%20Field%20Service.cab" });
      const item = await renderDetail(backend, 3);
      const approve = within(item).getByRole("button", { name: "Approve version 3" });
      expect(approve.getAttribute("aria-disabled")).toBe("true");
      expect(reason(approve)).toBe("Only approvers can approve or reject.");
      expect(reason(within(item).getByRole("button", { name: "Reject version 3" }))).toBe(
        "Only approvers can approve or reject.",
      );
      const promote = within(item).getByRole("button", { name: "Promote version 3" });
      expect(reason(promote)).toBe("Only publishers can promote.");
      fireEvent.click(approve);
      fireEvent.click(promote);
      expect(screen.queryByRole("dialog")).toBeNull();
      expect(within(item).getByRole("button", { name: "Record install version 3" }).getAttribute("aria-disabled")).toBeNull();

      act(() => {
        window.location.hash = "#/cabs";
      });
      const upload = await screen.findByRole("button", { name: "Upload CAB" });
      expect(upload.getAttribute("aria-disabled")).toBe("true");
      expect(reason(upload)).toBe("Only publishers can upload.");
    });

    it("does not offer to approve a version the engine says is the caller's", async () => {
      const board = cabBoard();
      const quotes = board.cabs[3]!;
      quotes.newest = { ...quotes.newest, message: "Quotes: margin warning", uploaded_through: "ada", yours: true };
      const backend = cabBackend({}, { board, hash: "#/cab/GHA%20Quotes.cab" });
      const item = await renderDetail(backend);
      const approve = within(item).getByRole("button", { name: "Approve version 1" });
      expect(approve.getAttribute("aria-disabled")).toBe("true");
      expect(reason(approve)).toBe("You wrote this version: someone else must approve it.");
      expect(within(item).getByRole("button", { name: "Reject version 1" }).getAttribute("aria-disabled")).toBeNull();
      // Who uploaded it through the server is shown beside the author.
      expect(within(item).getByText("Quotes: margin warning")).toBeTruthy();
      expect(item.textContent).toContain("uploaded through opsdeck by ada");
      // Not yet approved: Promote says what it waits for.
      expect(reason(within(item).getByRole("button", { name: "Promote version 1" }))).toBe(
        "Not ready to promote: waiting for 0 of 1 approvals.",
      );
    });

  });

  describe("beside Epicor", () => {
    /** The cell of `cab`'s row in the column of `env`. */
    const cell = (cab: string, env: string) => row(cab).querySelector<HTMLElement>(`td[data-env="${env}"]`)!;
    /** The Epicor lines of a cell, as their text. */
    const epicorLines = (el: HTMLElement) =>
      [...el.querySelectorAll<HTMLElement>(".cab-epicor li")].map((li) => li.textContent);

    it("shows under each recorded install what Epicor lists, by the Epicor environment's name", async () => {
      await renderList(cabBackend({}, { board: cabBoardWithEpicor() }));
      const test = cell("GHA Field Service.cab", "test");
      expect(test.querySelector(".cab-placed-version")?.textContent).toBe("v3");
      expect(epicorLines(test)).toEqual(["Epicor Test: build 3"]);
      expect(test.dataset.differs).toBeUndefined();
      expect(test.querySelector("li")?.getAttribute("title")).toBe(
        "Epicor Test lists GHA_FieldService build 3 (GHA Field Service.cab), by ben, 20 May 2025",
      );
      // Nothing listed, in agreement with nothing recorded.
      expect(epicorLines(cell("GHA Quotes.cab", "test"))).toEqual(["Epicor Test: not installed"]);

      // The name leads to the Environments page.
      const link = within(test).getByRole("link", { name: "Epicor Test" });
      expect(link.getAttribute("href")).toBe("#/environments");
    });

    it("flags a difference with ⚠ and words, the sentence as tooltip and for screen readers", async () => {
      await renderList(cabBackend({}, { board: cabBoardWithEpicor() }));
      const live = cell("GHA Orders.cab", "live");
      expect(live.dataset.differs).toBe("true");
      expect(live.classList.contains("cab-cell-differs")).toBe(true);
      const line = live.querySelector<HTMLElement>("li")!;
      const sentence =
        "Epicor Live has GHA_Orders installed (build 1, by dana, on 2025-05-20), but no install in Live is recorded.";
      expect(line.textContent).toBe(`Epicor Live: build 1 ⚠ differs: ${sentence}`);
      expect(line.getAttribute("title")).toBe(sentence);
      expect(line.querySelector(".sr-only")?.textContent).toBe(`: ${sentence}`);
      // The record's side of it: recorded, yet Epicor lists nothing.
      expect(cell("GHA Field Service.cab", "live").querySelector("li")?.getAttribute("title")).toBe(
        "Recorded as installed in Live (version 2, by Ben Developer), but Epicor Live lists no solution from GHA Field Service.cab.",
      );
      // What agrees is not flagged.
      expect(cell("GHA Orders.cab", "test").dataset.differs).toBeUndefined();
      expect(epicorLines(cell("GHA Orders.cab", "test"))).toEqual(["Epicor Test: build 2"]);
    });

    it("claims nothing for an Epicor environment that cannot list its solutions", async () => {
      await renderList(cabBackend({}, { board: cabBoardWithEpicor() }));
      // Dev has two Epicor environments; the old one cannot list its solutions and says nothing.
      const dev = cell("GHA Field Service.cab", "dev");
      expect(epicorLines(dev)).toEqual(["Epicor Dev: build 3"]);
      expect(dev.textContent).not.toContain("Epicor Dev (old)");
      expect(epicorLines(cell("GHA Orders.cab", "dev"))).toEqual(["Epicor Dev: not installed"]);
      // The promotion column has no Epicor line.
      expect(epicorLines(cell("GHA Invoicing.cab", "promoted"))).toEqual([]);
    });

    it("shows every Epicor environment of a column that can list its solutions", async () => {
      const board = cabBoardWithEpicor();
      const fs = board.cabs[0]!;
      fs.epicor = fs.epicor.map((s) =>
        s.epicor === "erp-dev-old"
          ? {
              ...s,
              known: true,
              difference: "recorded as installed in Dev (version 3, by Ben Developer), but Epicor Dev (old) lists no solution",
            }
          : s,
      );
      await renderList(cabBackend({}, { board }));
      const dev = cell("GHA Field Service.cab", "dev");
      expect(epicorLines(dev).map((l) => l?.split(" ⚠")[0])).toEqual([
        "Epicor Dev: build 3",
        "Epicor Dev (old): not installed",
      ]);
      expect(dev.dataset.differs).toBe("true");
      expect(within(dev).getAllByRole("link").map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
        ["Epicor Dev", "#/environments"],
        ["Epicor Dev (old)", "#/environments"],
      ]);
    });

    it("counts the differences, and shows only the CABs that have one on request", async () => {
      await renderList(cabBackend({}, { board: cabBoardWithEpicor() }));
      const count = screen.getByText(/^2 differences with Epicor$/);
      expect(count.closest("[role=status]")?.textContent).toBe("4 CABs · ⚠ 2 differences with Epicor");
      fireEvent.click(screen.getByRole("checkbox", { name: "Only differences with Epicor" }));
      expect(within(pipeline()).getAllByRole("row").slice(1).map((r) => r.dataset.cab)).toEqual([
        "GHA Field Service.cab",
        "GHA Orders.cab",
      ]);
      expect(screen.getByText(/^Showing 2 of 4 CABs/)).toBeTruthy();
      fireEvent.change(screen.getByRole("searchbox", { name: "Find a CAB" }), { target: { value: "quotes" } });
      expect(screen.getByText("No CAB that differs from what Epicor lists matches “quotes”.")).toBeTruthy();
      fireEvent.change(screen.getByRole("searchbox", { name: "Find a CAB" }), { target: { value: "" } });
      fireEvent.click(screen.getByRole("checkbox", { name: "Only differences with Epicor" }));
      expect(within(pipeline()).getAllByRole("row")).toHaveLength(5);
    });

    it("says nothing of Epicor where no Epicor environment is configured", async () => {
      await renderList(cabBackend());
      expect(screen.queryByRole("checkbox", { name: "Only differences with Epicor" })).toBeNull();
      expect(screen.queryByText(/with Epicor/)).toBeNull();
      expect(pipeline().querySelector(".cab-epicor")).toBeNull();
    });

    it("writes each difference out on the CAB's page", async () => {
      const backend = cabBackend({}, { board: cabBoardWithEpicor(), hash: "#/cab/GHA%20Orders.cab" });
      await renderDetail(backend, 2);
      const where = screen.getByRole("region", { name: "Where it is" });
      expect(within(where).getByText("The record and Epicor differ in 1 place.")).toBeTruthy();
      const live = where.querySelector<HTMLElement>('[data-env="live"]')!;
      expect(live.dataset.differs).toBe("true");
      expect(live.textContent).toContain("Epicor Live: GHA_Orders build 1 (GHA Orders.cab), by dana, 20 May 2025");
      const note = live.querySelector(".cab-difference")!;
      expect(note.textContent).toBe(
        "⚠ Differs: Epicor Live has GHA_Orders installed (build 1, by dana, on 2025-05-20), but no install in Live is recorded.",
      );
      expect(within(live).getByRole("link", { name: "Epicor Live" }).getAttribute("href")).toBe("#/environments");

      const test = where.querySelector<HTMLElement>('[data-env="test"]')!;
      expect(test.dataset.differs).toBeUndefined();
      expect(test.textContent).toContain("Epicor Test: GHA_Orders build 2");
      expect(test.querySelector(".cab-difference")).toBeNull();
      const dev = where.querySelector<HTMLElement>('[data-env="dev"]')!;
      expect(dev.textContent).toContain("Epicor Dev: not installed");
      expect(dev.textContent).not.toContain("Epicor Dev (old)");
    });
  });

  describe("upload", () => {
    it("checks the file, confirms what will be committed, and sends its bytes with the board's head", async () => {
      const backend = cabBackend({
        cab_upload: () => ({
          name: "GHA Quotes.cab",
          path: "cabs/GHA Quotes.cab",
          commit: commitOf("q2"),
          version: 2,
          sha256: shaOf("q2"),
          size: CAB_BYTES.length,
        }),
      });
      await renderList(backend);
      fireEvent.click(screen.getByRole("button", { name: "Upload CAB" }));
      const d = dialog("Upload a CAB");
      expect(document.activeElement).toBe(within(d).getByLabelText("CAB file"));

      chooseFile(d, new File([CAB_BYTES], "GHA Quotes.cab"));
      expect(await within(d).findByText("GHA Quotes.cab, 12 bytes: version 2 of GHA Quotes.cab")).toBeTruthy();
      fireEvent.change(within(d).getByLabelText("What changed"), { target: { value: "  Quotes: margin warning at 5 % " } });
      fireEvent.click(within(d).getByRole("button", { name: "Continue" }));

      const review = await within(d).findByRole("group", { name: "Commit version 2 of GHA Quotes.cab?" });
      const sha = createHash("sha256").update(CAB_BYTES).digest("hex");
      expect(review.textContent).toContain("cabs/GHA Quotes.cab on main");
      expect(review.textContent).toContain("12 bytes");
      expect(review.textContent).toContain(sha);
      expect(review.textContent).toContain("Quotes: margin warning at 5 %");
      expect(backend.count("cab_upload")).toBe(0);

      // Tab stays among the summary's buttons, not the hidden form's fields.
      const commit = within(review).getByRole("button", { name: "Commit" });
      const back = within(review).getByRole("button", { name: "Back" });
      back.focus();
      fireEvent.keyDown(back, { key: "Tab" });
      expect(document.activeElement).toBe(commit);

      fireEvent.click(commit);
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_upload")).toEqual([
        {
          file_name: "GHA Quotes.cab",
          content: Buffer.from(CAB_BYTES).toString("base64"),
          message: "Quotes: margin warning at 5 %",
          expected_head: commitOf("head1"),
        },
      ]);
      expect(status().textContent).toBe(`Committed GHA Quotes.cab as version 2 (commit ${commitOf("q2").slice(0, 12)}, 12 bytes).`);
      await waitFor(() => expect(backend.count("cab_board")).toBe(2));
    });

    it("refuses what is not a cabinet file, and a commit without a message", async () => {
      const backend = cabBackend();
      await renderList(backend);
      fireEvent.click(screen.getByRole("button", { name: "Upload CAB" }));
      const d = dialog("Upload a CAB");

      chooseFile(d, new File(["hello"], "notes.txt"));
      expect(await within(d).findByText(/notes.txt is not a .cab file/)).toBeTruthy();
      chooseFile(d, new File(["PK\u0003\u0004zip"], "GHA Shipping.cab"));
      expect(await within(d).findByText(/GHA Shipping.cab is not a cabinet file \(it does not start with MSCF\)/)).toBeTruthy();
      expect(within(d).getByLabelText("CAB file").getAttribute("aria-invalid")).toBe("true");

      chooseFile(d, new File([CAB_BYTES], "GHA Shipping.cab"));
      expect(await within(d).findByText("GHA Shipping.cab, 12 bytes: a new CAB")).toBeTruthy();
      fireEvent.click(within(d).getByRole("button", { name: "Continue" }));
      expect(within(d).getByText("Say what changed: it becomes the commit message.")).toBeTruthy();
      expect(within(d).queryByRole("group")).toBeNull();
      expect(backend.count("cab_upload")).toBe(0);
    });

    it("says that someone committed meanwhile, offers Refresh, and never sends again by itself", async () => {
      let head = "head1";
      let uploads = 0;
      const backend = cabBackend({
        cab_board: () => cabBoard({ head: commitOf(head) }),
        cab_upload: () => {
          uploads += 1;
          if (uploads === 1) {
            throw new BackendError(
              { code: "conflict", message: "the branch main moved: the branch is at head2 now, not head1" },
              409,
            );
          }
          return {
            name: "GHA Shipping.cab",
            path: "cabs/GHA Shipping.cab",
            commit: commitOf("s1"),
            version: 1,
            sha256: shaOf("s1"),
            size: CAB_BYTES.length,
          };
        },
      });
      await renderList(backend);
      fireEvent.click(screen.getByRole("button", { name: "Upload CAB" }));
      const d = dialog("Upload a CAB");
      chooseFile(d, new File([CAB_BYTES], "GHA Shipping.cab"));
      await within(d).findByText("GHA Shipping.cab, 12 bytes: a new CAB");
      fireEvent.change(within(d).getByLabelText("What changed"), { target: { value: "Shipping: pack slip" } });
      fireEvent.click(within(d).getByRole("button", { name: "Continue" }));
      const review = await within(d).findByRole("group", { name: "Commit GHA Shipping.cab as a new CAB?" });
      fireEvent.click(within(review).getByRole("button", { name: "Commit" }));

      const alert = await within(d).findByRole("alert");
      expect(alert.textContent).toContain("Someone committed to main since the board was read: nothing was written.");
      expect(alert.textContent).toContain("the branch is at head2 now, not head1");
      expect(document.activeElement).toBe(alert);
      const commit = within(review).getByRole("button", { name: "Commit" });
      expect(commit.getAttribute("aria-disabled")).toBe("true");
      fireEvent.click(commit);
      expect(backend.count("cab_upload")).toBe(1);

      head = "head2";
      fireEvent.click(within(alert).getByRole("button", { name: "Refresh" }));
      expect(await within(d).findByText("The board is up to date: check the summary, then commit again.")).toBeTruthy();
      expect(backend.count("cab_board")).toBe(2);
      expect(backend.count("cab_upload")).toBe(1);
      expect(review.textContent).toContain(commitOf("head2").slice(0, 12));

      fireEvent.click(within(review).getByRole("button", { name: "Commit" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_upload").map((p) => p.expected_head)).toEqual([commitOf("head1"), commitOf("head2")]);
    });
  });

  describe("a CAB's page", () => {
    it("lists the versions newest first, with installs, approvals that do not count and rejections", async () => {
      const board = cabBoard();
      const fs2 = cabVersion(2, "f2", {
        approvals: [
          { by: "Ben Developer <ben@example.com>", at: new Date(NOW - 3_600_000).toISOString(), counts: false, note: "the version's own author" },
        ],
        rejections: [
          { by: "Bo Sørensen <boss@example.com>", at: new Date(NOW - 7_200_000).toISOString(), counts: true, note: "Crashes on save" },
        ],
        waiting_for: "rejected by Bo Sørensen <boss@example.com>: Crashes on save",
        sha256: null,
      });
      const backend = cabBackend(
        { cab_detail: () => cabDetailOf(board, "GHA Field Service.cab", [fs2]) },
        { board, hash: "#/cab/GHA%20Field%20Service.cab" },
      );
      await renderDetail(backend, 3);
      expect(screen.getByRole("heading", { level: 1, name: "GHA Field Service.cab" })).toBeTruthy();
      expect(screen.getByRole("link", { name: "← All CABs" }).getAttribute("href")).toBe("#/cabs");
      expect(screen.getByRole("list", { name: "Stage: Approved" })).toBeTruthy();
      const versions = screen.getByRole("list", { name: "Versions of GHA Field Service.cab" });
      expect(within(versions).getAllByRole("heading").map((h) => h.textContent)).toEqual(["Version 3", "Version 2"]);

      const v3 = versionItem(3);
      expect(v3.textContent).toContain("Newest");
      expect(v3.textContent).toContain(shaOf("f3"));
      expect(v3.textContent).toContain("Test by Ben Developer");
      expect(v3.textContent).toContain("Dev by Ben Developer");
      expect(v3.textContent).toContain("Anna Approver <anna@example.com>");

      const v2 = versionItem(2);
      expect(v2.textContent).toContain("does not count: the version's own author");
      expect(v2.textContent).toContain("Crashes on save");
      expect(v2.textContent).toContain("not read yet");
      expect(reason(within(v2).getByRole("button", { name: "Promote version 2" }))).toBe(
        "It cannot be promoted while it is rejected.",
      );

      const where = screen.getByRole("region", { name: "Where it is" });
      expect(where.textContent).toContain("Livev2not newest");
      expect(where.textContent).toContain("Promotednot promoted");
    });

    it("records an install in the chosen environment", async () => {
      const board = cabBoard();
      const backend = cabBackend(
        {
          cab_install: (req): VersionState => {
            const p = paramsOf(req, "cab_install");
            const v = cabVersion(1, "q1");
            return { ...v, installs: [{ target: p.environment, version: 1, commit: v.commit, by: "Dana", at: new Date(NOW).toISOString(), current: true }] };
          },
        },
        { board, hash: "#/cab/GHA%20Quotes.cab" },
      );
      const item = await renderDetail(backend);
      const opener = within(item).getByRole("button", { name: "Record install version 1" });
      opener.focus();
      fireEvent.click(opener);
      const d = dialog("Record install");
      const select = within(d).getByLabelText("Environment");
      expect([...(select as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(["Live", "Test", "Dev"]);
      fireEvent.change(select, { target: { value: "dev" } });
      fireEvent.click(within(d).getByRole("button", { name: "Record install" }));

      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_install")).toEqual([
        { name: "GHA Quotes.cab", version: commitOf("q1"), environment: "dev" },
      ]);
      expect(status().textContent).toBe("Recorded version 1 of GHA Quotes.cab as installed in Dev.");
      await waitFor(() => expect(backend.count("cab_detail")).toBe(2));
      expect(backend.count("cab_board")).toBe(2);
      expect(document.activeElement).toBe(opener);
    });

    it("approves a version after showing the bytes approved", async () => {
      const backend = cabBackend(
        {
          cab_approve: (): VersionState =>
            cabVersion(1, "q1", {
              approvals: [{ by: "Dana Demo <dana@example.com>", at: new Date(NOW).toISOString(), counts: true, note: null }],
              promotable: true,
              waiting_for: null,
            }),
        },
        { hash: "#/cab/GHA%20Quotes.cab" },
      );
      const item = await renderDetail(backend);
      fireEvent.click(within(item).getByRole("button", { name: "Approve version 1" }));
      const d = dialog("Approve version");
      expect(d.textContent).toContain(shaOf("q1"));
      expect(d.textContent).toContain("not recorded in any environment");
      expect(d.textContent).toContain("0 of 1 so far");
      expect(d.textContent).toContain("recorded in Bitbucket as Dana Demo");
      fireEvent.click(within(d).getByRole("button", { name: "Approve" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_approve")).toEqual([{ name: "GHA Quotes.cab", version: commitOf("q1") }]);
      expect(status().textContent).toBe("Approved version 1 of GHA Quotes.cab. It can be promoted now.");
    });

    it("rejects a version only with a reason", async () => {
      const backend = cabBackend({ cab_reject: (): VersionState => cabVersion(1, "q1") }, { hash: "#/cab/GHA%20Quotes.cab" });
      const item = await renderDetail(backend);
      fireEvent.click(within(item).getByRole("button", { name: "Reject version 1" }));
      const d = dialog("Reject version");
      const field = within(d).getByLabelText("Reason");
      expect(document.activeElement).toBe(field);

      fireEvent.change(field, { target: { value: "   " } });
      fireEvent.click(within(d).getByRole("button", { name: "Reject" }));
      expect(within(d).getByText("Give a reason the developer can act on.")).toBeTruthy();
      expect(field.getAttribute("aria-invalid")).toBe("true");
      expect(backend.count("cab_reject")).toBe(0);

      fireEvent.change(field, { target: { value: " The margin warning fires on every quote " } });
      fireEvent.click(within(d).getByRole("button", { name: "Reject" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_reject")).toEqual([
        { name: "GHA Quotes.cab", version: commitOf("q1"), reason: "The margin warning fires on every quote" },
      ]);
      expect(status().textContent).toBe("Rejected version 1 of GHA Quotes.cab: “The margin warning fires on every quote”.");
    });

    it("promotes, asking again before replacing a different file at the destination", async () => {
      const promoted: Promoted = {
        name: "GHA Field Service.cab",
        version: 3,
        commit: commitOf("f3"),
        sha256: shaOf("f3"),
        placed: {
          target: "/srv/GHA Mods - New CABs/GHA Field Service.cab",
          manifest: "/srv/GHA Mods - New CABs/GHA Field Service.cab.manifest.json",
          already_there: false,
          replaced: true,
        },
        tag: "cab/GHA-Field-Service/3",
        manifest: {
          name: "GHA Field Service.cab",
          version: 3,
          sha256: shaOf("f3"),
          size: 51_200,
          source: "bitbucket-cloud gha/epicor-cabs cabs/GHA Field Service.cab",
          source_commit: commitOf("f3"),
          approvers: ["Anna Approver <anna@example.com>"],
          promoted_by: "Dana Demo <dana@example.com> via token ada",
          promoted_at: new Date(NOW).toISOString(),
        },
      };
      const backend = cabBackend(
        {
          cab_promote: (req) => {
            if (!paramsOf(req, "cab_promote").replace) {
              throw new BackendError(
                {
                  code: "exists",
                  message:
                    "/srv/GHA Mods - New CABs/GHA Field Service.cab already holds a different file (SHA-256 bbbb, the approved version is aaaa); nothing was overwritten",
                },
                409,
              );
            }
            return promoted;
          },
        },
        { hash: "#/cab/GHA%20Field%20Service.cab" },
      );
      const item = await renderDetail(backend, 3);
      fireEvent.click(within(item).getByRole("button", { name: "Promote version 3" }));
      const d = dialog("Promote version");
      expect(d.textContent).toContain("/srv/GHA Mods - New CABs");
      expect(d.textContent).toContain(shaOf("f3"));
      expect(d.textContent).toContain("Approved byAnna Approver <anna@example.com>");

      fireEvent.click(within(d).getByRole("button", { name: "Promote" }));
      const question = await within(d).findByRole("alert");
      expect(question.textContent).toContain("A different file named GHA Field Service.cab is at the destination.");
      expect(question.textContent).toContain("already holds a different file");
      await waitFor(() => expect(document.activeElement).toBe(question));
      expect(within(d).queryByRole("button", { name: "Promote" })).toBeNull();
      expect(params(backend, "cab_promote")).toEqual([
        { name: "GHA Field Service.cab", version: commitOf("f3"), replace: false },
      ]);

      fireEvent.click(within(question).getByRole("button", { name: "Replace it" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_promote")[1]).toEqual({
        name: "GHA Field Service.cab",
        version: commitOf("f3"),
        replace: true,
      });
      expect(status().textContent).toBe(
        "Promoted version 3 of GHA Field Service.cab to /srv/GHA Mods - New CABs/GHA Field Service.cab, replacing the file that was there; tagged cab/GHA-Field-Service/3.",
      );
    });

    it("says why a promotion was refused, and changes nothing", async () => {
      const backend = cabBackend(
        {
          cab_promote: () => {
            throw new BackendError({ code: "forbidden", message: "the token `ada` may not promote CABs" }, 403);
          },
        },
        { hash: "#/cab/GHA%20Field%20Service.cab" },
      );
      const item = await renderDetail(backend, 3);
      fireEvent.click(within(item).getByRole("button", { name: "Promote version 3" }));
      const d = dialog("Promote version");
      fireEvent.click(within(d).getByRole("button", { name: "Promote" }));
      expect((await within(d).findByRole("alert")).textContent).toBe(
        "Nothing was changed: the token `ada` may not promote CABs",
      );
      expect(within(d).queryByRole("button", { name: "Replace it" })).toBeNull();
    });

    it("downloads a version as a file named like the CAB", async () => {
      const backend = cabBackend(
        {
          cab_download: () => ({
            name: "GHA Quotes.cab",
            version: 1,
            commit: commitOf("q1"),
            sha256: shaOf("q1"),
            content: Buffer.from(CAB_BYTES).toString("base64"),
          }),
        },
        { hash: "#/cab/GHA%20Quotes.cab" },
      );
      const item = await renderDetail(backend);
      fireEvent.click(within(item).getByRole("button", { name: "Download version 1" }));
      await waitFor(() => expect(saved).toHaveBeenCalledTimes(1));
      const [fileName, blob] = saved.mock.calls[0]!;
      expect(fileName).toBe("GHA Quotes.cab");
      expect(new Uint8Array(await blob.arrayBuffer())).toEqual(CAB_BYTES);
      expect(params(backend, "cab_download")).toEqual([{ name: "GHA Quotes.cab", version: commitOf("q1") }]);
      expect(status().textContent).toBe(`Downloaded version 1 of GHA Quotes.cab (SHA-256 ${shaOf("q1")}).`);
    });

    it("in the pull-request flow, opens a pull request for review and shows it", async () => {
      const board = cabBoard({ flow: "pull-request", destination: "branch release of epicor-cabs, cabs" });
      const quotes = board.cabs[3]!;
      quotes.newest = { ...quotes.newest, waiting_for: "no pull request yet: request a review" };
      const fs = board.cabs[0]!;
      fs.newest = { ...fs.newest, pull_request: { id: 41, state: "OPEN", source_branch: "opsdeck/GHA-Field-Service-v3-f300000" } };
      const backend = cabBackend(
        {
          cab_request_review: (): VersionState =>
            cabVersion(1, "q1", {
              pull_request: { id: 42, state: "OPEN", source_branch: "opsdeck/GHA-Quotes-v1-q100000" },
              waiting_for: "0 of 1 approvals",
            }),
        },
        { board, hash: "#/cab/GHA%20Quotes.cab" },
      );
      const item = await renderDetail(backend);
      expect(item.textContent).toContain("Pull requestnone yet");
      fireEvent.click(within(item).getByRole("button", { name: "Request review version 1" }));
      const d = dialog("Request review");
      expect(d.textContent).toContain("branch release of epicor-cabs, cabs");
      fireEvent.click(within(d).getByRole("button", { name: "Request review" }));
      await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
      expect(params(backend, "cab_request_review")).toEqual([{ name: "GHA Quotes.cab", version: commitOf("q1") }]);
      expect(status().textContent).toBe("Requested a review of version 1 of GHA Quotes.cab: pull request #42 (open).");

      // A version under review is not sent for review again.
      act(() => {
        window.location.hash = "#/cab/GHA%20Field%20Service.cab";
      });
      const v3 = await screen.findByRole("listitem", { name: "Version 3" });
      expect(v3.textContent).toContain("#41 (open) from opsdeck/GHA-Field-Service-v3-f300000");
      expect(reason(within(v3).getByRole("button", { name: "Request review version 3" }))).toBe("Pull request #41 is open.");
    });

    it("leads back to the list with the CAB just left focused", async () => {
      const backend = cabBackend({}, { hash: "#/cab/GHA%20Orders.cab" });
      await renderDetail(backend, 2);
      act(() => {
        window.location.hash = "#/cabs";
      });
      await waitFor(() => expect(document.activeElement?.textContent).toBe("GHA Orders.cab"));
      // The board was read once for both pages.
      expect(backend.count("cab_board")).toBe(1);
    });
  });

  describe("audit log", () => {
    const FIRST: AuditPage = {
      entries: [
        auditEntry(3, { action: "promote", outcome: "ok", detail: "version 1 to `/srv/GHA Mods - New CABs`" }),
        auditEntry(2, { action: "promote", outcome: "started" }),
      ],
      before: 2,
    };
    const OLDER: AuditPage = {
      entries: [auditEntry(1, { action: "approve", outcome: "failed", detail: "the token `ada` may not approve CABs" })],
      before: null,
    };

    it("pages to older entries, newest first", async () => {
      const backend = cabBackend(
        { cab_audit: (req) => (paramsOf(req, "cab_audit").before === null ? FIRST : OLDER) },
        { hash: "#/cabs/audit" },
      );
      render(<App backend={backend} />);
      const table = await screen.findByRole("table", { name: "Audit log" });
      expect(screen.getByRole("link", { name: "Audit log" }).getAttribute("aria-current")).toBe("page");
      const actions = () => within(table).getAllByRole("rowheader").map((h) => h.textContent);
      expect(actions()).toEqual(["Promote OK", "Promote Started"]);
      const first = within(table).getAllByRole("row")[1]!;
      expect(first.textContent).toContain("GHA Quotes.cab");
      expect(first.textContent).toContain(commitOf("q1").slice(0, 12));
      expect(first.textContent).toContain("Dana Demo <dana@example.com> via token ada");
      expect(first.querySelector("code:not([title])")?.textContent).toBe("/srv/GHA Mods - New CABs");
      expect(params(backend, "cab_audit")).toEqual([{ cab: null, before: null, limit: 50 }]);

      fireEvent.click(screen.getByRole("button", { name: "Older audit entries" }));
      await waitFor(() => expect(actions()).toEqual(["Promote OK", "Promote Started", "Approve Failed"]));
      expect(params(backend, "cab_audit")[1]).toEqual({ cab: null, before: 2, limit: 50 });
      expect(screen.queryByRole("button", { name: /Older/ })).toBeNull();
    });

    it("verifies the chain and shows its problems prominently", async () => {
      let ok = false;
      const backend = cabBackend(
        {
          cab_audit: () => FIRST,
          cab_audit_verify: () =>
            ok
              ? { ok: true, entries: 3, problems: [] }
              : {
                  ok: false,
                  entries: 3,
                  problems: ["entry 2: its hash does not match its contents", "entry 3: `prev` is not the hash of entry 2"],
                },
        },
        { hash: "#/cabs/audit" },
      );
      render(<App backend={backend} />);
      await screen.findByRole("table", { name: "Audit log" });
      fireEvent.click(screen.getByRole("button", { name: "Verify chain" }));
      const alert = await screen.findByRole("alert");
      expect(alert.textContent).toContain("The audit log has been changed or damaged. 3 entries checked; 2 problems");
      expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
        "entry 2: its hash does not match its contents",
        "entry 3: prev is not the hash of entry 2",
      ]);

      ok = true;
      fireEvent.click(screen.getByRole("button", { name: "Verify chain" }));
      expect(await screen.findByText("The chain is intact.")).toBeTruthy();
      expect(screen.queryByRole("alert")).toBeNull();
    });

    it("exports the log as CSV", async () => {
      const csv = "seq,at,actor,action\n1,2025-06-01T11:00:00Z,ada,install\n";
      const backend = cabBackend({ cab_audit_csv: () => ({ csv }) }, { hash: "#/cabs/audit" });
      render(<App backend={backend} />);
      await screen.findByText(/Nothing has been recorded yet/);
      fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
      await waitFor(() => expect(saved).toHaveBeenCalledTimes(1));
      const [fileName, blob] = saved.mock.calls[0]!;
      expect(fileName).toBe("cab-audit.csv");
      expect(await blob.text()).toBe(csv);
      expect(status().textContent).toBe("Exported the audit log as cab-audit.csv.");
    });
  });
});
