// Search for the command palette ("Jump to…"): pages and checks, ranked by how well the
// query matches. Built to stay fast with thousands of checks: the searchable text of each
// target is prepared once per overview, and a query is one pass over the targets.

import type { CheckView } from "../bindings/CheckView";
import type { Overview } from "../bindings/Overview";
import type { Status } from "../bindings/Status";
import {
  ALERTS_HREF,
  CABS_HREF,
  checkHref,
  CREDENTIALS_HREF,
  ENVIRONMENTS_HREF,
  OVERVIEW_HREF,
  QUEUES_HREF,
  SETTINGS_HREF,
} from "./route";
import { STATUS_RANK } from "./status";

export interface JumpTarget {
  /** Unique among targets; also usable as a DOM id suffix after escaping. */
  key: string;
  href: string;
  title: string;
  /** A page of the console, or a check. */
  kind: "page" | "check";
  status: Status | null;
  /** Display name of the check's environment. */
  environment: string | null;
  /** Lower-case, accent-free fields the query is matched against. */
  fields: { name: string; id: string; environment: string; tags: readonly string[] };
}

export interface JumpResults {
  targets: JumpTarget[];
  /** How many targets matched, including those beyond the limit. */
  total: number;
}

/** Lower case without accents, so "zurich" finds "Zürich". */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Pages anyone can use. */
const PAGES: readonly JumpTarget[] = [
  page("overview", OVERVIEW_HREF, "Overview"),
  page("queues", QUEUES_HREF, "Queues"),
  page("alerts", ALERTS_HREF, "Alerts"),
  page("cabs", CABS_HREF, "CABs"),
  page("environments", ENVIRONMENTS_HREF, "Environments", ["epicor", "erp"]),
];
/** Pages only an admin can use. */
const ADMIN_PAGES: readonly JumpTarget[] = [
  page("credentials", CREDENTIALS_HREF, "Credentials"),
  page("settings", SETTINGS_HREF, "Settings"),
];

/** `keywords` find the page by what it is about, not only by its title. */
function page(id: string, href: string, title: string, keywords: readonly string[] = []): JumpTarget {
  return {
    key: `page:${id}`,
    href,
    title,
    kind: "page",
    status: null,
    environment: null,
    fields: { name: fold(title), id: "", environment: "", tags: keywords.map(fold) },
  };
}

// One target per check object: a live update replaces one check, so the others are reused.
const checkTargets = new WeakMap<CheckView, JumpTarget>();

function checkTarget(check: CheckView, envName: string, envId: string): JumpTarget {
  const known = checkTargets.get(check);
  if (known !== undefined && known.environment === (envName || null)) return known;
  const target = buildCheckTarget(check, envName, envId);
  checkTargets.set(check, target);
  return target;
}

function buildCheckTarget(check: CheckView, envName: string, envId: string): JumpTarget {
  return {
    key: `check:${check.id}`,
    href: checkHref(check.id),
    title: check.name,
    kind: "check",
    status: check.status,
    environment: envName || null,
    fields: {
      name: fold(check.name),
      id: check.id.toLowerCase(),
      environment: fold(`${envName}\n${envId}`),
      tags: check.tags.map(fold),
    },
  };
}

/**
 * The pages (the admin's ones only for an admin), then every check, worst status first
 * (stable, so the overview's order breaks ties).
 */
export function jumpTargets(overview: Overview | null, admin = true): JumpTarget[] {
  const checks: JumpTarget[] = [];
  for (const env of overview?.environments ?? []) {
    for (const c of env.checks) checks.push(checkTarget(c, env.name, env.id));
  }
  checks.sort((a, b) => STATUS_RANK[b.status ?? "up"] - STATUS_RANK[a.status ?? "up"]);
  return [...PAGES, ...(admin ? ADMIN_PAGES : []), ...checks];
}

const isWordStart = (text: string, at: number) => at === 0 || /[^\p{L}\p{N}]/u.test(text[at - 1] ?? "");

/** Characters of `word` in order in `text`, scored higher the closer together they are. */
function subsequence(text: string, word: string): number {
  let from = 0;
  let first = -1;
  let last = -1;
  for (const ch of word) {
    const at = text.indexOf(ch, from);
    if (at < 0) return 0;
    if (first < 0) first = at;
    last = at;
    from = at + 1;
  }
  const spread = last - first + 1 - word.length;
  return Math.max(4, 20 - spread);
}

function nameScore(name: string, word: string): number {
  if (name === word) return 100;
  if (name.startsWith(word)) return 80;
  let at = name.indexOf(word);
  if (at >= 0) {
    // Prefer a match at the start of a word ("api" in "payments api") to one inside a word.
    while (at >= 0) {
      if (isWordStart(name, at)) return 60;
      at = name.indexOf(word, at + 1);
    }
    return 45;
  }
  return word.length >= 2 ? subsequence(name, word) : 0;
}

function wordScore(t: JumpTarget, word: string): number {
  const f = t.fields;
  let best = nameScore(f.name, word);
  if (best >= 60) return best;
  if (f.id) {
    if (f.id.startsWith(word)) best = Math.max(best, 50);
    else if (f.id.includes(word)) best = Math.max(best, 35);
    else if (word.length >= 2) best = Math.max(best, subsequence(f.id, word) / 2);
  }
  if (f.environment.includes(word)) best = Math.max(best, f.environment.startsWith(word) ? 30 : 25);
  for (const tag of f.tags) {
    if (tag === word) best = Math.max(best, 35);
    else if (tag.includes(word)) best = Math.max(best, 20);
  }
  return best;
}

/**
 * Targets matching every word of `query` (name, id, environment or tag; the name also
 * matches loosely, letters in order), best first, at most `limit`. An empty query lists
 * targets in their given order.
 */
export function searchJumpTargets(targets: readonly JumpTarget[], query: string, limit: number): JumpResults {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return { targets: targets.slice(0, limit), total: targets.length };
  const scored: { target: JumpTarget; score: number; index: number }[] = [];
  targets.forEach((target, index) => {
    let score = 0;
    for (const w of words) {
      const s = wordScore(target, w);
      if (s === 0) return;
      score += s;
    }
    scored.push({ target, score, index });
  });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return { targets: scored.slice(0, limit).map((s) => s.target), total: scored.length };
}
