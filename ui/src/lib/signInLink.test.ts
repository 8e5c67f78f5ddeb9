import { afterEach, describe, expect, it, vi } from "vitest";
import { signInLink, takeTokenFromLocation, tokenFromHash } from "./signInLink";

const TOKEN = `opsdeck_0123456789abcdef_${"ab".repeat(32)}`;

describe("sign-in links", () => {
  afterEach(() => {
    window.history.replaceState(null, "", "/");
  });

  it("reads the token of a #token= fragment only", () => {
    expect(tokenFromHash(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHash(`#token=${encodeURIComponent(TOKEN)}`)).toBe(TOKEN);
    expect(tokenFromHash("#token=")).toBeNull();
    expect(tokenFromHash("#/settings")).toBeNull();
    expect(tokenFromHash("")).toBeNull();
  });

  it("takes the token out of the address without adding a history entry", () => {
    window.history.replaceState(null, "", `/console/?x=1#token=${TOKEN}`);
    const replace = vi.spyOn(window.history, "replaceState");
    const push = vi.spyOn(window.history, "pushState");
    const before = window.history.length;

    expect(takeTokenFromLocation()).toBe(TOKEN);

    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toContain(TOKEN);
    expect(window.location.pathname).toBe("/console/");
    expect(window.location.search).toBe("?x=1");
    expect(replace).toHaveBeenCalledTimes(1);
    expect(push).not.toHaveBeenCalled();
    expect(window.history.length).toBe(before);
  });

  it("leaves an address without a token alone", () => {
    window.history.replaceState(null, "", "/#/settings");
    const replace = vi.spyOn(window.history, "replaceState");
    expect(takeTokenFromLocation()).toBeNull();
    expect(window.location.hash).toBe("#/settings");
    expect(replace).not.toHaveBeenCalled();
  });

  it("builds the link a phone opens", () => {
    expect(signInLink("https://ops.example.test:7443/", TOKEN)).toBe(`https://ops.example.test:7443/#token=${TOKEN}`);
    expect(signInLink(" https://ops.example.test// ", TOKEN)).toBe(`https://ops.example.test/#token=${TOKEN}`);
  });
});
