// The one way the UI talks to the engine. Two transports implement it: HTTP (`opsdeck serve`)
// and the desktop shell (Tauri). Nothing outside this folder knows which one is in use.

import type { About } from "../bindings/About";
import type { AlertsState } from "../bindings/AlertsState";
import type { AuditCsv } from "../bindings/AuditCsv";
import type { AuditPage } from "../bindings/AuditPage";
import type { Board } from "../bindings/Board";
import type { CabDetail } from "../bindings/CabDetail";
import type { CabDownload } from "../bindings/CabDownload";
import type { Caller } from "../bindings/Caller";
import type { CheckDetail } from "../bindings/CheckDetail";
import type { CheckForm } from "../bindings/CheckForm";
import type { ChannelView } from "../bindings/ChannelView";
import type { CheckResult } from "../bindings/CheckResult";
import type { CreatedToken } from "../bindings/CreatedToken";
import type { Credentials } from "../bindings/Credentials";
import type { DesktopPreferences } from "../bindings/DesktopPreferences";
import type { EnvironmentForm } from "../bindings/EnvironmentForm";
import type { EpicorPage } from "../bindings/EpicorPage";
import type { EstateFile } from "../bindings/EstateFile";
import type { Event } from "../bindings/Event";
import type { FigureHistory } from "../bindings/FigureHistory";
import type { FigureWindow } from "../bindings/FigureWindow";
import type { History } from "../bindings/History";
import type { HistoryWindow } from "../bindings/HistoryWindow";
import type { Overview } from "../bindings/Overview";
import type { Promoted } from "../bindings/Promoted";
import type { QueueList } from "../bindings/QueueList";
import type { Request } from "../bindings/Request";
import type { Role } from "../bindings/Role";
import type { SharingStatus } from "../bindings/SharingStatus";
import type { Stats } from "../bindings/Stats";
import type { StatusCounts } from "../bindings/StatusCounts";
import type { Timeline } from "../bindings/Timeline";
import type { TokenInfo } from "../bindings/TokenInfo";
import type { Transition } from "../bindings/Transition";
import type { Uploaded } from "../bindings/Uploaded";
import type { Verification } from "../bindings/Verification";
import type { VersionState } from "../bindings/VersionState";
import { createHttpBackend } from "./http";
import { createTauriBackend } from "./tauri";

export { BackendError, isApiError, isUnauthorized, toBackendError } from "./errors";

export interface Backend {
  /** Sends one request; resolves with the method's result, rejects with a `BackendError`. */
  call<T>(request: Request): Promise<T>;
  /**
   * Receives every live event until the returned function is called. `onLive` reports whether
   * the event stream is currently connected; after a reconnect, events may have been missed.
   */
  subscribe(onEvent: (event: Event) => void, onLive?: (live: boolean) => void): () => void;
  /** What only the desktop shell can do; absent in a browser. */
  desktop?: DesktopControls;
  /**
   * Signing in and out, for the browser only: the desktop app has no sign-in (its user is the
   * local user, an admin).
   */
  session?: SessionControls;
}

/** The browser's session with `opsdeck serve`, kept in an HttpOnly cookie the page cannot read. */
export interface SessionControls {
  /** Checks the token and, when it is good, starts a session; resolves with who it belongs to. */
  signIn(token: string): Promise<Caller>;
  /** Ends the session (the cookie is cleared). */
  signOut(): Promise<void>;
}

/** The desktop app's own settings, kept by the shell rather than the engine. */
export interface DesktopControls {
  preferences(): Promise<DesktopPreferences>;
  /** Stores the preferences and resolves with what the shell actually applied. */
  setPreferences(preferences: DesktopPreferences): Promise<DesktopPreferences>;
  /** Restarts the app, e.g. to leave the demo once a config file exists. */
  restart(): Promise<void>;
  /** Whether the console is shared on the network (`preferences.sharing`), where, or why not. */
  sharingStatus(): Promise<SharingStatus>;
  /** Calls back with the preferences whenever they change elsewhere (the tray menu); returns
   * the function that stops it. */
  onPreferences(callback: (preferences: DesktopPreferences) => void): () => void;
}

/** The result type of each method. */
export interface Results {
  overview: Overview;
  check_detail: CheckDetail;
  history: History;
  transitions: Transition[];
  check_now: CheckResult[];
  figures: FigureHistory;
  queues: QueueList;
  stats: Stats;
  check_all: StatusCounts;
  about: About;
  estate: EstateFile;
  create_estate: EstateFile;
  save_check: EstateFile;
  remove_check: EstateFile;
  save_environment: EstateFile;
  remove_environment: EstateFile;
  session: Caller;
  credentials: Credentials;
  set_credential: Credentials;
  delete_credential: Credentials;
  test_credential: CheckResult[];
  tokens: TokenInfo[];
  create_token: CreatedToken;
  revoke_token: TokenInfo[];
  alerts: AlertsState;
  timeline: Timeline;
  acknowledge: null;
  snooze: null;
  add_note: null;
  channels: ChannelView[];
  test_channel: null;
  cab_board: Board;
  cab_detail: CabDetail;
  cab_upload: Uploaded;
  cab_download: CabDownload;
  cab_install: VersionState;
  cab_request_review: VersionState;
  cab_approve: VersionState;
  cab_reject: VersionState;
  cab_promote: Promoted;
  cab_audit: AuditPage;
  cab_audit_verify: Verification;
  cab_audit_csv: AuditCsv;
  epicor_environments: EpicorPage;
  epicor_refresh: EpicorPage;
}

export type Method = Request["method"];

/** A request whose result type follows from its method. */
export function request<M extends Method>(
  backend: Backend,
  req: Extract<Request, { method: M }>,
): Promise<Results[M]> {
  return backend.call<Results[M]>(req);
}

/** Typed helpers, one per method. */
export function api(backend: Backend) {
  return {
    overview: () => request(backend, { method: "overview" }),
    checkDetail: (id: string) => request(backend, { method: "check_detail", params: { id } }),
    history: (id: string, window: HistoryWindow) =>
      request(backend, { method: "history", params: { id, window } }),
    transitions: (id: string | null = null, limit: number | null = null) =>
      request(backend, { method: "transitions", params: { id, limit } }),
    checkNow: (id: string) => request(backend, { method: "check_now", params: { id } }),
    /** Depth and rates of a queue, a heartbeat's age or a sampled value, over `window`. */
    figures: (id: string, window: FigureWindow) =>
      request(backend, { method: "figures", params: { id, window } }),
    /** Every queue of every RabbitMQ check, with its depth over the last hour. */
    queues: () => request(backend, { method: "queues" }),
    stats: () => request(backend, { method: "stats" }),
    checkAll: () => request(backend, { method: "check_all" }),
    about: () => request(backend, { method: "about" }),
    estate: () => request(backend, { method: "estate" }),
    createEstate: () => request(backend, { method: "create_estate" }),
    /** `originalId` null adds the check; otherwise replaces the check that had that id. */
    saveCheck: (revision: string, originalId: string | null, check: CheckForm) =>
      request(backend, { method: "save_check", params: { revision, original_id: originalId, check } }),
    removeCheck: (revision: string, id: string) =>
      request(backend, { method: "remove_check", params: { revision, id } }),
    saveEnvironment: (revision: string, originalId: string | null, environment: EnvironmentForm) =>
      request(backend, {
        method: "save_environment",
        params: { revision, original_id: originalId, environment },
      }),
    removeEnvironment: (revision: string, id: string) =>
      request(backend, { method: "remove_environment", params: { revision, id } }),
    /** Who this console is signed in as. */
    session: () => request(backend, { method: "session" }),
    credentials: () => request(backend, { method: "credentials" }),
    /** Stores the value in the keychain; the engine then re-runs the checks that use it. */
    setCredential: (name: string, value: string) =>
      request(backend, { method: "set_credential", params: { name, value } }),
    deleteCredential: (name: string) => request(backend, { method: "delete_credential", params: { name } }),
    /** Runs the checks that use the credential now. */
    testCredential: (name: string) => request(backend, { method: "test_credential", params: { name } }),
    tokens: () => request(backend, { method: "tokens" }),
    /** The token's value is in the answer this once, and never again. */
    createToken: (name: string, role: Role) =>
      request(backend, { method: "create_token", params: { name, role } }),
    revokeToken: (name: string) => request(backend, { method: "revoke_token", params: { name } }),
    /** Open alerts, snoozes and the delivery log. */
    alerts: () => request(backend, { method: "alerts" }),
    /**
     * A page of the timeline, newest first: of one result, of a check and all its results, or
     * (`id` null) of the whole estate. `before` is the previous page's `before`.
     */
    timeline: (id: string | null, before: string | null = null, limit: number | null = null) =>
      request(backend, { method: "timeline", params: { id, before, limit } }),
    /** Stops reminders of the open alert until it recovers; rejects with `conflict` when none is open. */
    acknowledge: (id: string, note: string | null = null) =>
      request(backend, { method: "acknowledge", params: { id, note } }),
    /** Holds back the alerts of a result or a check for `minutes`; null ends the snooze. */
    snooze: (id: string, minutes: number | null, note: string | null = null) =>
      request(backend, { method: "snooze", params: { id, minutes, note } }),
    addNote: (id: string, text: string) => request(backend, { method: "add_note", params: { id, text } }),
    channels: () => request(backend, { method: "channels" }),
    /** Sends a test notification now; rejects with `unavailable` and the reason when it fails. */
    testChannel: (id: string) => request(backend, { method: "test_channel", params: { id } }),
    /**
     * Every CAB as a pipeline with its environment matrix, and what the Bitbucket account may do.
     * Rejects with `unavailable` when the workflow is not configured or Bitbucket cannot be read.
     */
    cabBoard: () => request(backend, { method: "cab_board" }),
    /** One CAB (by file name or path) with its versions, newest first. */
    cabDetail: (name: string) => request(backend, { method: "cab_detail", params: { name } }),
    /**
     * Commits a `.cab` (its bytes in base64) as a new CAB or a new version. `expectedHead` is the
     * board's `head`: rejects with `conflict` when the branch has moved since, and writes nothing.
     */
    cabUpload: (fileName: string, content: string, message: string, expectedHead: string | null) =>
      request(backend, {
        method: "cab_upload",
        params: { file_name: fileName, content, message, expected_head: expectedHead },
      }),
    /** A version's bytes in base64; `version` is a number (`"3"`) or a commit, null the newest. */
    cabDownload: (name: string, version: string | null = null) =>
      request(backend, { method: "cab_download", params: { name, version } }),
    /** Records that a version was installed in an environment (its id). */
    cabInstall: (name: string, version: string | null, environment: string) =>
      request(backend, { method: "cab_install", params: { name, version, environment } }),
    /** The pull-request flow: opens a pull request of the version into the release branch. */
    cabRequestReview: (name: string, version: string | null) =>
      request(backend, { method: "cab_request_review", params: { name, version } }),
    cabApprove: (name: string, version: string | null) =>
      request(backend, { method: "cab_approve", params: { name, version } }),
    cabReject: (name: string, version: string | null, reason: string) =>
      request(backend, { method: "cab_reject", params: { name, version, reason } }),
    /**
     * Copies an approved version to the destination. Rejects with `exists` when a different file
     * of the same name is there; `replace` overwrites it.
     */
    cabPromote: (name: string, version: string | null, replace = false) =>
      request(backend, { method: "cab_promote", params: { name, version, replace } }),
    /** A page of the audit log, newest first: of one CAB (its path) or all; `before` from the previous page. */
    cabAudit: (cab: string | null = null, before: number | null = null, limit: number | null = null) =>
      request(backend, { method: "cab_audit", params: { cab, before, limit } }),
    /** Checks the audit log's hash chain. */
    cabAuditVerify: () => request(backend, { method: "cab_audit_verify" }),
    /** The whole audit log as CSV. */
    cabAuditCsv: () => request(backend, { method: "cab_audit_csv" }),
    /** Every Epicor environment as its last check left it, and the comparison between them. */
    epicorEnvironments: () => request(backend, { method: "epicor_environments" }),
    /** Inspects one Epicor environment (by id), or all of them for null, now; answers the page. */
    epicorRefresh: (id: string | null = null) => request(backend, { method: "epicor_refresh", params: { id } }),
  };
}

/** The typed helpers of one backend. */
export type Api = ReturnType<typeof api>;

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/** The desktop shell when running inside it, else the HTTP server this page came from. */
export function createBackend(): Backend {
  const backend =
    typeof window !== "undefined" && window.__TAURI_INTERNALS__ !== undefined
      ? createTauriBackend()
      : createHttpBackend();
  return sharedEvents(backend);
}

/**
 * Lets any number of views subscribe while the transport keeps a single event stream,
 * opened with the first subscriber and closed with the last.
 */
export function sharedEvents(inner: Backend): Backend {
  type Listener = { onEvent: (e: Event) => void; onLive?: (live: boolean) => void };
  const listeners = new Set<Listener>();
  let close: (() => void) | null = null;
  let live = false;

  return {
    call: <T>(req: Request) => inner.call<T>(req),
    ...(inner.desktop ? { desktop: inner.desktop } : {}),
    ...(inner.session ? { session: inner.session } : {}),
    subscribe(onEvent, onLive) {
      const listener: Listener = { onEvent, onLive };
      listeners.add(listener);
      if (close === null) {
        close = inner.subscribe(
          (event) => {
            for (const l of [...listeners]) l.onEvent(event);
          },
          (now) => {
            live = now;
            for (const l of [...listeners]) l.onLive?.(now);
          },
        );
      } else if (live) {
        onLive?.(true);
      }
      return () => {
        if (!listeners.delete(listener)) return;
        if (listeners.size === 0 && close !== null) {
          close();
          close = null;
          live = false;
        }
      };
    },
  };
}
