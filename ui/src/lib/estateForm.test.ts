import { describe, expect, it } from "vitest";
import {
  checkDraft,
  environmentDraft,
  groupFieldErrors,
  newCheckDraft,
  newCheckForm,
  parseCheckDraft,
  parseEnvironmentDraft,
  sentence,
  splitList,
} from "./estateForm";

describe("check drafts", () => {
  it("starts a new check from the blank form", () => {
    expect(parsed(newCheckDraft("prod"))).toEqual(newCheckForm("prod"));
  });

  it("round-trips a check through the text the inputs hold", () => {
    const draft = checkDraft({
      ...newCheckForm("prod"),
      id: "web",
      url: "https://www.example.test/",
      tags: ["public", "shop"],
      expected_status: [200, 301],
      other_keys: ["headers"],
    });
    expect(draft.tags).toBe("public, shop");
    expect(draft.expected_status).toBe("200, 301");
    expect(parsed(draft)).toMatchObject({
      id: "web",
      environment: "prod",
      tags: ["public", "shop"],
      expected_status: [200, 301],
      other_keys: ["headers"],
    });
  });

  it("gives unset selects their default option", () => {
    const draft = checkDraft({ ...newCheckForm(), method: "", format: "" });
    expect(draft.method).toBe("GET");
    expect(draft.format).toBe("auto");
  });

  it("trims text and drops empty list items", () => {
    const value = parsed({
      ...newCheckDraft(),
      id: " web ",
      url: " https://x.test ",
      interval: " 1m ",
      tags: " a, ,b,",
      expected_status: "200,, 204 ",
    });
    expect(value).toMatchObject({ id: "web", url: "https://x.test", interval: "1m", tags: ["a", "b"], expected_status: [200, 204] });
  });

  it("refuses status codes that are not whole numbers", () => {
    const result = parseCheckDraft({ ...newCheckDraft(), expected_status: "200, 2xx, 3.5" });
    expect(result).toEqual({
      ok: false,
      errors: [{ field: "expected_status", message: expect.stringContaining("“2xx, 3.5” is not a status code") as unknown }],
    });
  });
});

describe("environment drafts", () => {
  it("reads the order as a whole number or nothing", () => {
    expect(environmentDraft({ id: "prod", name: "Production", order: null }).order).toBe("");
    expect(parseEnvironmentDraft({ id: " prod ", name: "Production", order: " -2 " })).toEqual({
      ok: true,
      value: { id: "prod", name: "Production", order: -2 },
    });
    expect(parseEnvironmentDraft({ id: "prod", name: "Production", order: "" })).toMatchObject({
      value: { order: null },
    });
    expect(parseEnvironmentDraft({ id: "prod", name: "P", order: "1.5" })).toMatchObject({
      ok: false,
      errors: [{ field: "order" }],
    });
  });
});

describe("field errors", () => {
  it("groups by field and moves unknown fields to the form", () => {
    expect(
      groupFieldErrors(
        [
          { field: "url", message: "enter the URL to check" },
          { field: "url", message: "use https" },
          { field: "type", message: "checks of type `tcp` are edited in the file" },
          { field: "", message: "the file is broken" },
        ],
        ["id", "url"],
      ),
    ).toEqual({
      url: ["Enter the URL to check.", "Use https."],
      "": ["type: checks of type `tcp` are edited in the file", "The file is broken."],
    });
  });

  it("makes a sentence of a message", () => {
    expect(sentence("give the check an id")).toBe("Give the check an id.");
    expect(sentence("Already one?")).toBe("Already one?");
    expect(sentence("  ")).toBe("");
  });

  it("splits lists on commas", () => {
    expect(splitList("a, b,,c ")).toEqual(["a", "b", "c"]);
    expect(splitList("")).toEqual([]);
  });
});

function parsed(draft: Parameters<typeof parseCheckDraft>[0]) {
  const result = parseCheckDraft(draft);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}
