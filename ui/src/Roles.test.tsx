import { fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Role } from "./bindings/Role";
import { check, detail, FakeBackend, NOW, overview } from "./test/fixtures";

function backendAs(role: Role) {
  return new FakeBackend({
    overview: () => overview(),
    session: () => ({ name: `someone-${role}`, role }),
    check_detail: () => detail(check({ id: "web", name: "Website" })),
    about: () => ({
      version: "0.4.0",
      os: "linux",
      config_path: null,
      demo: false,
      data_dir: null,
      database: null,
      log_dir: null,
    }),
  });
}

const nav = () => screen.getByRole("navigation", { name: "Main" });
const navLinks = () => within(nav()).getAllByRole("link").map((a) => a.textContent);

describe("Role-aware console", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows a viewer neither the run buttons nor the admin's pages", async () => {
    render(<App backend={backendAs("viewer")} />);
    await screen.findByText("Website");

    expect(navLinks()).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments"]);
    expect(screen.queryByRole("button", { name: "Check all now" })).toBeNull();

    fireEvent.keyDown(document.body, { key: "k", ctrlKey: true });
    const options = within(screen.getByRole("dialog", { name: "Jump to" }))
      .getAllByRole("option")
      .map((o) => o.getAttribute("aria-label"));
    expect(options).toContain("Overview, page");
    expect(options).not.toContain("Settings, page");
    expect(options).not.toContain("Credentials, page");
  });

  it("hides Check now on a check's page from a viewer", async () => {
    window.location.hash = "#/check/web";
    render(<App backend={backendAs("viewer")} />);
    await screen.findByRole("heading", { name: "Uptime" });
    expect(screen.queryByRole("button", { name: "Check now" })).toBeNull();
  });

  it("lets an operator run checks but not change settings", async () => {
    render(<App backend={backendAs("operator")} />);
    await screen.findByText("Website");
    expect(navLinks()).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments"]);
    expect(screen.getByRole("button", { name: "Check all now" })).toBeTruthy();

    window.location.hash = "#/check/web";
    fireEvent(window, new HashChangeEvent("hashchange"));
    expect(await screen.findByRole("button", { name: "Check now" })).toBeTruthy();
  });

  it("tells a non-admin who opens Settings or Credentials that they are for admins", async () => {
    window.location.hash = "#/settings";
    const backend = backendAs("operator");
    render(<App backend={backend} />);
    expect(await screen.findByText(/Only an admin can change settings/)).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Access tokens" })).toBeNull();
    expect(backend.count("estate")).toBe(0);
    expect(backend.count("tokens")).toBe(0);

    window.location.hash = "#/credentials";
    fireEvent(window, new HashChangeEvent("hashchange"));
    expect(await screen.findByText(/Only an admin can see and change credentials/)).toBeTruthy();
    expect(backend.count("credentials")).toBe(0);
  });

  it("gives an admin everything", async () => {
    render(<App backend={backendAs("admin")} />);
    await screen.findByText("Website");
    expect(navLinks()).toEqual(["Overview", "Queues", "Alerts", "CABs", "Environments", "Credentials", "Settings"]);
    expect(screen.getByRole("button", { name: "Check all now" })).toBeTruthy();
  });
});
