import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { BackendError, type SessionControls } from "./backend";
import type { Caller } from "./bindings/Caller";
import { check, detail, FakeBackend, NOW, overview } from "./test/fixtures";

const TOKEN = `opsdeck_0123456789abcdef_${"cd".repeat(32)}`;
const unauthorized = () => new BackendError({ code: "unauthorized", message: "sign in first" }, 401);

/** A browser backend: `session` answers `who()` (throwing when signed out). */
function browserBackend(who: () => Caller, signIn?: SessionControls["signIn"]) {
  const backend = new FakeBackend({
    // Like every call but the sign-in itself, refused when nobody is signed in.
    overview: () => {
      who();
      return overview();
    },
    session: () => who(),
    check_detail: () => detail(check({ id: "web", name: "Website" })),
  });
  const session = {
    signIn: vi.fn<SessionControls["signIn"]>(signIn ?? (() => Promise.resolve({ name: "ada", role: "admin" }))),
    signOut: vi.fn<SessionControls["signOut"]>(() => Promise.resolve()),
  };
  backend.session = session;
  return { backend, session };
}

const appHead = () => document.querySelector<HTMLElement>(".app-head")!;
const tokenField = () => screen.getByLabelText("Access token");
const signInButton = () => screen.getByRole("button", { name: "Sign in" });

function submitToken(value: string) {
  fireEvent.change(tokenField(), { target: { value } });
  fireEvent.click(signInButton());
}

describe("Sign-in (browser)", () => {
  let signedIn: Caller | null;
  const who = () => {
    if (signedIn === null) throw unauthorized();
    return signedIn;
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ["Date", "setInterval", "clearInterval"] });
    signedIn = null;
  });

  afterEach(() => {
    vi.useRealTimers();
    window.history.replaceState(null, "", "/");
  });

  it("shows the sign-in screen when not signed in, then the console after signing in", async () => {
    const { backend, session } = browserBackend(who, (token) => {
      signedIn = { name: "ada-laptop", role: "viewer" };
      return token === TOKEN ? Promise.resolve(signedIn) : Promise.reject(unauthorized());
    });
    render(<App backend={backend} />);

    expect(await screen.findByRole("heading", { level: 1, name: "Sign in to opsdeck" })).toBeTruthy();
    const field = tokenField() as HTMLInputElement;
    expect(field.type).toBe("password");
    expect(field.getAttribute("autocomplete")).toBe("off");
    // The field takes focus once the screen has settled (its effect runs after the render).
    await waitFor(() => expect(document.activeElement).toBe(tokenField()));
    expect(screen.getByText(/Ask an admin for a token/).textContent).toContain(
      "opsdeck token create --name NAME --role viewer",
    );
    expect(screen.getByText(/scan a pairing code from the desktop app/)).toBeTruthy();
    // Nothing of the console is loaded before signing in.
    expect(backend.count("overview")).toBe(0);

    submitToken(` ${TOKEN} `);

    await screen.findByText("Website");
    expect(session.signIn).toHaveBeenCalledWith(TOKEN);
    expect(screen.queryByLabelText("Access token")).toBeNull();
    const header = appHead();
    expect(within(header).getByText("ada-laptop")).toBeTruthy();
    expect(within(header).getByText("Viewer")).toBeTruthy();
    expect(within(header).getByRole("button", { name: "Sign out" })).toBeTruthy();
  });

  it("says when the token is wrong, and empties the field", async () => {
    const { backend } = browserBackend(who, () => Promise.reject(unauthorized()));
    render(<App backend={backend} />);
    await screen.findByLabelText("Access token");

    submitToken("opsdeck_wrong");

    const alert = await screen.findByText(/That token was not accepted/);
    expect(alert.getAttribute("role")).toBe("alert");
    expect((tokenField() as HTMLInputElement).value).toBe("");
    expect(tokenField().getAttribute("aria-invalid")).toBe("true");
    expect(backend.count("overview")).toBe(0);
  });

  it("says how long to wait after too many attempts", async () => {
    const { backend } = browserBackend(who, () =>
      Promise.reject(new BackendError({ code: "rate_limited", message: "slow down" }, 429, 42)),
    );
    render(<App backend={backend} />);
    await screen.findByLabelText("Access token");

    submitToken("opsdeck_guess");

    expect(await screen.findByText("Too many failed attempts. Try again in 42 seconds.")).toBeTruthy();
  });

  it("says when the server cannot be reached", async () => {
    const { backend } = browserBackend(who, () =>
      Promise.reject(new BackendError({ code: "unreachable", message: "Cannot reach opsdeck: Failed to fetch" })),
    );
    render(<App backend={backend} />);
    await screen.findByLabelText("Access token");

    submitToken(TOKEN);

    expect(await screen.findByText(/Cannot reach the opsdeck server/)).toBeTruthy();
  });

  it("signs in with the token of a sign-in link without showing the sign-in screen", async () => {
    const { backend, session } = browserBackend(who, () => {
      signedIn = { name: "ada-phone", role: "viewer" };
      return Promise.resolve(signedIn);
    });
    render(<App backend={backend} signInToken={TOKEN} />);

    await screen.findByText("Website");
    expect(session.signIn).toHaveBeenCalledTimes(1);
    expect(session.signIn).toHaveBeenCalledWith(TOKEN);
    expect(screen.queryByLabelText("Access token")).toBeNull();
  });

  it("says so when a sign-in link's token is refused", async () => {
    const { backend } = browserBackend(who, () => Promise.reject(unauthorized()));
    render(<App backend={backend} signInToken={TOKEN} />);

    expect(await screen.findByText(/The sign-in link did not work\. That token was not accepted/)).toBeTruthy();
    expect(screen.getByLabelText("Access token")).toBeTruthy();
  });

  it("signs in from a link opened in the open tab, and removes the token from the address", async () => {
    signedIn = { name: "ada", role: "admin" };
    const { backend, session } = browserBackend(who, () => {
      signedIn = { name: "ada-phone", role: "viewer" };
      return Promise.resolve(signedIn);
    });
    render(<App backend={backend} />);
    await screen.findByText("Website");

    const replace = vi.spyOn(window.history, "replaceState");
    act(() => {
      window.location.hash = `#token=${TOKEN}`;
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });

    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toContain(TOKEN);
    expect(replace).toHaveBeenCalled();
    await waitFor(() => expect(session.signIn).toHaveBeenCalledWith(TOKEN));
    expect(await within(appHead()).findByText("ada-phone")).toBeTruthy();
  });

  it("returns to the sign-in screen when a call says the session has ended", async () => {
    signedIn = { name: "ada", role: "admin" };
    const { backend } = browserBackend(who);
    render(<App backend={backend} />);
    await screen.findByText("Website");

    // The token is revoked; the next call (a refetch after a config event) is refused.
    signedIn = null;
    act(() => backend.emit({ kind: "config", path: "opsdeck.toml", error: null }));

    expect(await screen.findByText(/Your session has ended/)).toBeTruthy();
    expect(screen.getByLabelText("Access token")).toBeTruthy();
    expect(screen.queryByText("Website")).toBeNull();
  });

  it("asks who is signed in when the event stream drops, and ends a revoked session", async () => {
    signedIn = { name: "ada", role: "admin" };
    const { backend } = browserBackend(who);
    render(<App backend={backend} />);
    await screen.findByText("Website");
    const before = backend.count("session");

    signedIn = null;
    act(() => backend.setLive(false));

    await screen.findByText(/Your session has ended/);
    expect(backend.count("session")).toBe(before + 1);
  });

  it("signs out", async () => {
    signedIn = { name: "ada", role: "admin" };
    const { backend, session } = browserBackend(who);
    render(<App backend={backend} />);
    await screen.findByText("Website");

    fireEvent.click(screen.getByRole("button", { name: "Sign out" }));

    expect(await screen.findByText("You have signed out.")).toBeTruthy();
    expect(session.signOut).toHaveBeenCalledTimes(1);
    expect(screen.getByLabelText("Access token")).toBeTruthy();
  });

  it("offers to try again when the server cannot be reached at start", async () => {
    let reachable = false;
    const { backend } = browserBackend(() => {
      if (!reachable) throw new BackendError({ code: "unreachable", message: "Cannot reach opsdeck" });
      return { name: "ada", role: "admin" };
    });
    render(<App backend={backend} />);

    expect((await screen.findByRole("alert")).textContent).toContain("Cannot reach the opsdeck server.");
    reachable = true;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByText("Website");
  });
});

describe("Desktop app (no sign-in)", () => {
  it("shows neither the sign-in screen nor the session controls", async () => {
    const backend = new FakeBackend({ overview: () => overview(), session: () => ({ name: "local user", role: "admin" }) });
    render(<App backend={backend} />);
    await screen.findByText("Website");
    expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();
    expect(screen.queryByText("local user")).toBeNull();
    expect(screen.queryByLabelText("Access token")).toBeNull();
  });
});
