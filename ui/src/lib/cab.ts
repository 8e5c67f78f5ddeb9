// The CAB release workflow as the page shows it: the pipeline's steps, who wrote a version,
// what the caller may do with it (and why not), and the bytes of uploads and downloads.
// The engine enforces every rule; these only keep the page from offering what would be refused.

import type { Board } from "../bindings/Board";
import type { CabCard } from "../bindings/CabCard";
import type { Placement } from "../bindings/Placement";
import type { Sighting } from "../bindings/Sighting";
import type { Stage } from "../bindings/Stage";
import type { VersionState } from "../bindings/VersionState";
import { formatDate, formatDateTime } from "./format";
import { fold } from "./jump";

/** Largest CAB the engine accepts (Solution Workbench exports are far smaller). */
export const MAX_CAB_BYTES = 100 * 1024 * 1024;

/** The first bytes of every cabinet file. */
const CAB_MAGIC = [0x4d, 0x53, 0x43, 0x46]; // "MSCF"

export const STAGE_LABEL: Record<Stage, string> = {
  "in-repo": "In repository",
  installed: "Installed",
  rejected: "Rejected",
  approved: "Approved",
  promoted: "Promoted",
};

export type StepState = "done" | "current" | "rejected" | "skipped" | "todo";

export interface PipelineStep {
  key: "in-repo" | "installed" | "approved" | "promoted";
  label: string;
  state: StepState;
}

/**
 * The four steps of the pipeline (in the repository, installed, approved, promoted) for a CAB
 * at `stage` whose newest version is `newest`. A rejection takes the place of the approval; a
 * version approved without a recorded install shows the install as skipped.
 */
export function pipelineSteps(stage: Stage, newest: VersionState): PipelineStep[] {
  const installed = newest.installs.length > 0;
  const order: Record<Stage, number> = { "in-repo": 0, installed: 1, rejected: 2, approved: 2, promoted: 3 };
  const at = order[stage];
  const state = (index: number, done: boolean): StepState => {
    if (index === at) return stage === "rejected" ? "rejected" : "current";
    if (index < at) return done ? "done" : "skipped";
    return "todo";
  };
  return [
    { key: "in-repo", label: STAGE_LABEL["in-repo"], state: state(0, true) },
    { key: "installed", label: STAGE_LABEL.installed, state: state(1, installed) },
    {
      key: "approved",
      label: stage === "rejected" ? STAGE_LABEL.rejected : STAGE_LABEL.approved,
      state: state(2, true),
    },
    { key: "promoted", label: STAGE_LABEL.promoted, state: state(3, true) },
  ];
}

/** `Ben Developer` from `Ben Developer <ben@example.com>`. */
export function authorName(author: string): string {
  const name = author.replace(/\s*<[^<>]*>\s*$/, "").trim();
  return name || author;
}

/** The first 12 characters of a commit, as Bitbucket shows them. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 12);
}

/** The environment's name, or its id when the configuration no longer has it. */
export function environmentName(board: Board | null, id: string): string {
  return board?.environments.find((e) => e.id === id)?.name ?? id;
}

/** CABs whose name contains every word of `query` (case and accents ignored). */
export function filterCabs(cabs: readonly CabCard[], query: string): CabCard[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...cabs];
  return cabs.filter((c) => {
    const name = fold(c.name);
    return words.every((w) => name.includes(w));
  });
}

/** The newest card of the CAB named `fileName` (as the engine matches names), if any. */
export function cardNamed(board: Board | null, fileName: string): CabCard | null {
  const wanted = fileName.trim().toLowerCase();
  return board?.cabs.find((c) => c.name.toLowerCase() === wanted) ?? null;
}

/** "Installed by Ben Developer <ben@example.com>, 21 Nov 2026, 22:33:28", for a tooltip. */
export function placementTitle(p: Placement, verb: string): string {
  return `Version ${p.version}, ${verb} by ${p.by}, ${formatDateTime(p.at)}${p.current ? "" : " (not the newest version)"}`;
}

/** `waiting_for` as a sentence: "Waiting for 1 of 2 approvals", "Rejected by Bo: reason". */
export function waitingText(waitingFor: string): string {
  if (/^rejected by /i.test(waitingFor)) return waitingFor.charAt(0).toUpperCase() + waitingFor.slice(1);
  return `Waiting for ${waitingFor}`;
}

const bytesFormat = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 });
const wholeFormat = new Intl.NumberFormat("en-GB");

/** "48.8 KiB", "12.0 MiB" (with the exact count in `formatByteCount`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${bytesFormat.format(bytes / 1024)} KiB`;
  return `${bytesFormat.format(bytes / (1024 * 1024))} MiB`;
}

/** "51,200 bytes" */
export function formatByteCount(bytes: number): string {
  return `${wholeFormat.format(bytes)} ${bytes === 1 ? "byte" : "bytes"}`;
}

/** What is wrong with a file chosen for upload, or null when it can be sent. */
export function checkCabFile(name: string, bytes: Uint8Array): string | null {
  if (!/\.cab$/i.test(name)) {
    return `${name} is not a .cab file: export the solution from Solution Workbench as a .cab.`;
  }
  if (bytes.length === 0) return `${name} is empty.`;
  if (bytes.length > MAX_CAB_BYTES) return `${name} is larger than 100 MiB.`;
  if (!CAB_MAGIC.every((b, i) => bytes[i] === b)) {
    return `${name} is not a cabinet file (it does not start with MSCF): was it exported from Solution Workbench?`;
  }
  return null;
}

/** Base64 of `bytes`, in slices so that a large file never overflows the call stack. */
export function toBase64(bytes: Uint8Array): string {
  const slice = 0x8000;
  let binary = "";
  for (let i = 0; i < bytes.length; i += slice) {
    binary += String.fromCharCode(...bytes.subarray(i, i + slice));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * SHA-256 of `bytes` in hex, or null where the browser offers no digest (a page served over
 * plain HTTP to another machine is not a secure context).
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  try {
    const digest = await subtle.digest("SHA-256", bytes);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  } catch {
    return null;
  }
}

/** Hands `data` to the browser as a download named `fileName`. */
export function saveFile(fileName: string, data: Blob) {
  const url = URL.createObjectURL(data);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  // After the click has been handled: the download has its own reference by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export const AUDIT_ACTION_LABEL: Record<string, string> = {
  upload: "Upload",
  install: "Install",
  request: "Review request",
  approve: "Approve",
  reject: "Reject",
  promote: "Promote",
};

export const AUDIT_OUTCOME_LABEL: Record<string, string> = {
  ok: "OK",
  failed: "Failed",
  started: "Started",
};

/** The file name of a CAB's path in the repository (`cabs/GHA Orders.cab` → `GHA Orders.cab`). */
export function fileNameOf(path: string): string {
  return path.split("/").pop() || path;
}

// ---------------------------------------------------------------------------------------------
// What the Epicor environments themselves list, beside the recorded installs

/**
 * The Epicor environments of the matrix column `environment` that have something to say about
 * the CAB: those whose list of installed solutions is known (or that disagree with the record).
 */
export function sightingsIn(card: CabCard, environment: string): Sighting[] {
  return card.epicor.filter((s) => s.environment === environment && (s.known || s.difference !== null));
}

/** How many times the record and Epicor disagree about the CAB. */
export function differencesOf(card: CabCard): number {
  return card.epicor.filter((s) => s.difference !== null).length;
}

/** How many times the record and Epicor disagree, over every CAB. */
export function countDifferences(cabs: readonly CabCard[]): number {
  return cabs.reduce((n, c) => n + differencesOf(c), 0);
}

/** What Epicor lists, in a word or two: "build 3", "installed" (no build number), "not installed". */
export function sightingText(s: Sighting): string {
  if (s.solution) return s.solution.build_iteration === null ? "installed" : `build ${s.solution.build_iteration}`;
  return s.known ? "not installed" : "not known";
}

/** The solution Epicor lists, in full: "GHA_Orders build 1 (GHA Orders.cab), by dana, 2 Oct 2026". */
export function solutionText(s: Sighting): string | null {
  const seen = s.solution;
  if (!seen) return null;
  const name = [seen.solution_id, seen.build_iteration !== null && `build ${seen.build_iteration}`]
    .filter(Boolean)
    .join(" ");
  const file = seen.file_name && seen.file_name !== seen.solution_id ? ` (${seen.file_name})` : "";
  const by = seen.changed_by ? `, by ${seen.changed_by}` : "";
  const on = seen.changed_on ? `, ${formatDate(seen.changed_on)}` : "";
  return `${name}${file}${by}${on}`;
}

/** A difference as a sentence of its own: capitalised, with its full stop. */
export function differenceSentence(difference: string): string {
  const text = difference.trim();
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** What a sighting says in a tooltip: the difference, or what Epicor lists. */
export function sightingTitle(s: Sighting): string {
  if (s.difference !== null) return differenceSentence(s.difference);
  const solution = solutionText(s);
  if (solution) return `${s.epicor_name} lists ${solution}`;
  return s.known ? `${s.epicor_name} lists no solution from this CAB` : `${s.epicor_name} cannot list its solutions`;
}
