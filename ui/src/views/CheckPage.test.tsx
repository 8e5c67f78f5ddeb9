import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { History } from "../bindings/History";
import type { Request } from "../bindings/Request";
import { BackendError } from "../backend";
import { check, detail, FakeBackend, NOW, overview } from "../test/fixtures";

const payments = check({
  id: "payments-api",
  name: "Payments API",
  status: "down",
  message: "HTTP 503 Service Unavailable",
  details: {
    format: "aspnet-json",
    entries: [
      {
        name: "sqlserver",
        status: "down",
        duration_ms: 1503.2,
        description: "Timeout",
        exception: "System.TimeoutException: boom",
        tags: ["db"],
        data: {},
      },
      { name: "redis", status: "up", duration_ms: 2, description: null, exception: null, tags: [], data: {} },
    ],
    tls: { not_after: "2025-06-11T12:00:00Z", days_left: 10 },
    warnings: ["tls_insecure: certificate verification is turned off for this check"],
  },
});

describe("Check detail", () => {
  let backend: FakeBackend;

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    backend = new FakeBackend({
      overview: () => overview(),
      check_detail: () => detail(payments),
      history: (req: Request): History => ({
        id: "payments-api",
        window: req.method === "history" ? req.params.window : "24h",
        bucket_seconds: 3600,
        points: [],
      }),
      check_now: () => [
        {
          ...payments,
          status: "up",
          message: "HTTP 200 OK",
          latency_ms: 12,
          checked_at: new Date(NOW).toISOString(),
        },
      ],
    });
    window.location.hash = "#/check/payments-api";
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows status, uptime, entries, TLS, warnings, chart and transitions", async () => {
    render(<App backend={backend} />);

    expect(await screen.findByRole("heading", { level: 1, name: "Payments API" })).toBeTruthy();
    await screen.findByRole("heading", { name: "Uptime" });
    expect(backend.calls).toContainEqual({ method: "check_detail", params: { id: "payments-api" } });

    const uptime = screen.getByRole("heading", { name: "Uptime" }).parentElement!;
    expect(within(uptime).getByText("90%")).toBeTruthy();
    expect(within(uptime).getByText("99.5%")).toBeTruthy();

    const table = screen.getByRole("table");
    expect(within(table).getByRole("rowheader", { name: "sqlserver" })).toBeTruthy();
    expect(within(table).getByText("1.5 s")).toBeTruthy();
    expect(within(table).getByText("Timeout")).toBeTruthy();
    expect(within(table).getByText("System.TimeoutException: boom")).toBeTruthy();

    expect(screen.getByText(/expires in 10 days/)).toBeTruthy();
    expect(screen.getByText(/certificate verification is turned off/)).toBeTruthy();
    expect(screen.getByRole("img", { name: /Average latency .* from 40 ms to 80 ms/ })).toBeTruthy();
    expect(screen.getByText("3 failures in a row")).toBeTruthy();
  });

  it("loads another history window", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("heading", { name: "Uptime" });

    const week = screen.getByRole("button", { name: "Show last 7 days" });
    fireEvent.click(week);

    expect(week.getAttribute("aria-pressed")).toBe("true");
    await screen.findByText("No latency data in this window.");
    expect(backend.calls).toContainEqual({ method: "history", params: { id: "payments-api", window: "7d" } });
  });

  it("runs the check now and refreshes the detail", async () => {
    render(<App backend={backend} />);
    await screen.findByRole("heading", { name: "Uptime" });
    expect(backend.count("check_detail")).toBe(1);

    fireEvent.click(screen.getByRole("button", { name: "Check now" }));

    await waitFor(() => expect(backend.count("check_detail")).toBe(2));
    expect(backend.calls).toContainEqual({ method: "check_now", params: { id: "payments-api" } });
    const outcome = (await screen.findByText(/HTTP 200 OK/)).closest("[role=status]");
    expect(outcome?.textContent).toContain("Up");
    expect(outcome?.textContent).toContain("12 ms");
  });

  it("says so when the check does not exist", async () => {
    backend = new FakeBackend({
      overview: () => overview(),
      check_detail: () => {
        throw new BackendError({ code: "not_found", message: "no such check" }, 404);
      },
    });
    window.location.hash = "#/check/gone";
    render(<App backend={backend} />);

    expect((await screen.findByRole("alert")).textContent).toContain("There is no check “gone”");
  });

  it("goes back to the overview", async () => {
    render(<App backend={backend} />);
    fireEvent.click(await screen.findByRole("link", { name: "← All checks" }));
    window.location.hash = "#/";
    await screen.findByRole("searchbox", { name: "Search checks" });
  });
});

describe("A check whose credential cannot be read", () => {
  const needsToken = check({
    id: "search",
    name: "Search",
    environment: "staging",
    status: "unknown",
    message: "credential search-token is not in the keychain",
    details: { error: "credential", credential: { name: "search-token", problem: "missing" } },
  });

  function backendWith(role: "admin" | "viewer", credential = needsToken) {
    const o = overview();
    o.environments[1]!.checks[0] = credential;
    let fixed = false;
    return new FakeBackend({
      overview: () => o,
      session: () => ({ name: "someone", role }),
      check_detail: () =>
        detail(fixed ? { ...credential, status: "up", message: "HTTP 200 OK", details: {} } : credential),
      set_credential: () => {
        fixed = true;
        return { editable: true, credentials: [] };
      },
    });
  }

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("says which credential is missing and lets an admin set it", async () => {
    window.location.hash = "#/check/search";
    const backend = backendWith("admin");
    render(<App backend={backend} />);

    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(callout.textContent).toContain("Credential search-token is not in the keychain.");
    fireEvent.click(within(callout).getByRole("button", { name: "Set credential" }));

    const dialog = screen.getByRole("dialog", { name: "Set credential" });
    const value = within(dialog).getByLabelText<HTMLInputElement>("Value");
    expect(value.value).toBe("");
    fireEvent.change(value, { target: { value: "t0ken" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(backend.count("check_detail")).toBe(2));
    expect(backend.calls).toContainEqual({
      method: "set_credential",
      params: { name: "search-token", value: "t0ken" },
    });
    await waitFor(() => expect(screen.queryByRole("region", { name: "Credential problem" })).toBeNull());
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.getByText(/Stored credential search-token/)).toBeTruthy();
  });

  it("shows the result's message for a locked keychain", async () => {
    window.location.hash = "#/check/search";
    const locked = {
      ...needsToken,
      message: "The keychain is locked: unlock it and check again",
      details: { error: "credential", credential: { name: "search-token", problem: "locked" } },
    };
    render(<App backend={backendWith("admin", locked)} />);
    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(callout.textContent).toContain("The keychain is locked: unlock it and check again");
    expect(within(callout).queryByRole("button", { name: "Set credential" })).toBeNull();
  });

  it("offers no Set credential to a viewer", async () => {
    window.location.hash = "#/check/search";
    render(<App backend={backendWith("viewer")} />);
    const callout = await screen.findByRole("region", { name: "Credential problem" });
    expect(within(callout).queryByRole("button")).toBeNull();
    expect(callout.textContent).toContain("Ask an admin to set it.");
  });

  it("marks the check on the overview", async () => {
    render(<App backend={backendWith("viewer")} />);
    const link = await screen.findByRole("link", { name: "Search" });
    const row = link.closest("li")!;
    expect(within(row).getByText("credential missing")).toBeTruthy();
    const website = screen.getByRole("link", { name: "Website" }).closest("li")!;
    expect(within(website).queryByText(/credential/)).toBeNull();
  });
});
