import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, isUnauthorized, toBackendError, type Backend, type BackendError } from "./backend";
import type { Caller } from "./bindings/Caller";
import type { CheckView } from "./bindings/CheckView";
import type { Overview } from "./bindings/Overview";
import { CommandPalette } from "./components/CommandPalette";
import { ConnectionBanner } from "./components/ConnectionBanner";
import { Counts } from "./components/Counts";
import { SignIn, type SignInReason } from "./components/SignIn";
import { StatusBadge } from "./components/StatusBadge";
import { totalChecks } from "./lib/overview";
import { CallerContext, canAdminister, canRunChecks, ROLE_LABEL } from "./lib/roles";
import {
  ALERTS_HREF,
  CABS_HREF,
  CREDENTIALS_HREF,
  ENVIRONMENTS_HREF,
  OVERVIEW_HREF,
  QUEUES_HREF,
  SETTINGS_HREF,
  useRoute,
  type Route,
} from "./lib/route";
import { guardSession } from "./lib/session";
import { isJumpShortcut, jumpShortcutLabel } from "./lib/shortcut";
import { takeTokenFromLocation } from "./lib/signInLink";
import { STATUS_LABEL } from "./lib/status";
import { isBoolean, isString, useStoredState } from "./lib/storage";
import { useLiveOverview, type Connection } from "./lib/useLiveOverview";
import { AlertsPage } from "./views/AlertsPage";
import { CabPage } from "./views/CabPage";
import { CheckPage, type BackTarget } from "./views/CheckPage";
import { CredentialsPage } from "./views/CredentialsPage";
import { EnvironmentsPage } from "./views/EnvironmentsPage";
import { OverviewPage } from "./views/OverviewPage";
import { QueuesPage } from "./views/QueuesPage";
import { SettingsPage } from "./views/SettingsPage";

// The search and filter are remembered for the browser tab, not across visits: a new day
// starts with the whole estate in view.
const QUERY_KEY = "opsdeck:overview-query";
const ONLY_PROBLEMS_KEY = "opsdeck:overview-only-problems";

/** The pages a check's page can be opened from, and leads back to. */
type ListView = "overview" | "queues" | "alerts" | "environments";
const isListView = (view: Route["view"]): view is ListView =>
  view === "overview" || view === "queues" || view === "alerts" || view === "environments";

/** The way back from a check's page; the overview's is the page's default. */
const BACK_TARGETS: Partial<Record<ListView, BackTarget>> = {
  queues: { href: QUEUES_HREF, label: "All queues" },
  alerts: { href: ALERTS_HREF, label: "All alerts" },
  environments: { href: ENVIRONMENTS_HREF, label: "All environments" },
};

const CONNECTION_TEXT: Record<Connection, string> = {
  live: "Live",
  connecting: "Connecting…",
  lost: "Reconnecting…",
};

type Gate =
  | { phase: "starting" }
  | { phase: "in"; caller: Caller; generation: number; fromSignIn: boolean }
  | { phase: "out"; reason: SignInReason; linkError: BackendError | null }
  | { phase: "failed"; error: BackendError };

export interface AppProps {
  backend: Backend;
  /**
   * A token taken from a sign-in link (`#token=…`) before the first render, already removed
   * from the address (`takeTokenFromLocation`): the console signs in with it.
   */
  signInToken?: string | null;
}

/**
 * The console, behind the browser's sign-in: asks who is signed in, shows the sign-in screen
 * when nobody is (or when a call later says the session has ended), and the console otherwise.
 * The desktop app has no sign-in: its `session` always answers with the local user.
 */
export function App({ backend, signInToken = null }: AppProps) {
  const [gate, setGate] = useState<Gate>({ phase: "starting" });
  const generations = useRef(0);
  const started = useRef(false);

  const enter = useCallback((caller: Caller, fromSignIn = false) => {
    generations.current += 1;
    setGate({ phase: "in", caller, generation: generations.current, fromSignIn });
  }, []);

  const askSession = useCallback(
    (linkError: BackendError | null = null): Promise<void> =>
      api(backend)
        .session()
        .then(
          (caller) => enter(caller),
          (e: unknown) => {
            const error = toBackendError(e);
            if (isUnauthorized(error) && backend.session) setGate({ phase: "out", reason: "start", linkError });
            else setGate({ phase: "failed", error });
          },
        ),
    [backend, enter],
  );

  const signInWithLink = useCallback(
    (token: string): Promise<void> => {
      const session = backend.session;
      if (!session) return askSession();
      return session.signIn(token).then(
        (caller) => enter(caller),
        // An old link in a browser that is still signed in: carry on with that session.
        (e: unknown) => askSession(toBackendError(e)),
      );
    },
    [backend, enter, askSession],
  );

  // Once, also under StrictMode: a sign-in link's token is used a single time.
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    if (signInToken !== null && backend.session) void signInWithLink(signInToken);
    else void askSession();
  }, [backend, signInToken, signInWithLink, askSession]);

  // A sign-in link opened in a tab that already shows the console changes only the fragment.
  useEffect(() => {
    if (!backend.session) return;
    const onHashChange = () => {
      const token = takeTokenFromLocation();
      if (token !== null) void signInWithLink(token);
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, [backend, signInWithLink]);

  const generation = gate.phase === "in" ? gate.generation : null;
  const guarded = useMemo(
    () =>
      generation === null
        ? null
        : guardSession(backend, () =>
            setGate((g) =>
              g.phase === "in" && g.generation === generation
                ? { phase: "out", reason: "ended", linkError: null }
                : g,
            ),
          ),
    [backend, generation],
  );

  const signOut = useMemo(() => {
    const session = backend.session;
    if (!session) return undefined;
    return async () => {
      await session.signOut();
      setGate({ phase: "out", reason: "signed-out", linkError: null });
    };
  }, [backend]);

  if (gate.phase === "in" && guarded !== null) {
    return (
      <CallerContext.Provider value={gate.caller}>
        <Console
          key={gate.generation}
          backend={guarded}
          caller={gate.caller}
          onSignOut={signOut}
          focusHeading={gate.fromSignIn}
        />
      </CallerContext.Provider>
    );
  }
  if (gate.phase === "out" && backend.session) {
    const session = backend.session;
    return (
      <SignIn
        reason={gate.reason}
        linkError={gate.linkError}
        onSignIn={async (token) => enter(await session.signIn(token), true)}
      />
    );
  }
  if (gate.phase === "failed") {
    return (
      <div className="signin-screen">
        <main className="signin">
          <h1 tabIndex={-1}>opsdeck</h1>
          <div className="banner banner-error" role="alert">
            <p>
              {gate.error.code === "unreachable"
                ? "Cannot reach the opsdeck server."
                : `Cannot open the console: ${gate.error.message}`}
            </p>
            <button
              type="button"
              onClick={() => {
                setGate({ phase: "starting" });
                void askSession();
              }}
            >
              Try again
            </button>
          </div>
        </main>
      </div>
    );
  }
  return (
    <div className="signin-screen">
      <p className="muted" role="status">
        Connecting to opsdeck…
      </p>
    </div>
  );
}

interface ConsoleProps {
  backend: Backend;
  caller: Caller;
  /** Present in a browser, where there is a session to end. */
  onSignOut?: (() => Promise<void>) | undefined;
  /** Just signed in from the form: start on the page's heading. */
  focusHeading?: boolean;
}

function Console({ backend, caller, onSignOut, focusHeading = false }: ConsoleProps) {
  const route = useRoute();
  const live = useLiveOverview(backend);
  const { overview } = live;
  const [query, setQuery] = useStoredState("session", QUERY_KEY, "", isString);
  const [onlyProblems, setOnlyProblems] = useStoredState("session", ONLY_PROBLEMS_KEY, false, isBoolean);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const closePalette = useCallback(() => setPaletteOpen(false), []);
  const checkAll = useCallback(() => api(backend).checkAll(), [backend]);
  const admin = canAdminister(caller);
  // The list a check's page leads back to: the one it was last opened from.
  const [listView, setListView] = useState<ListView>("overview");
  if (isListView(route.view) && route.view !== listView) {
    setListView(route.view);
  }

  useEffect(() => {
    if (focusHeading) document.querySelector<HTMLElement>("#main-content h1")?.focus();
  }, [focusHeading]);

  useEffect(() => {
    document.title = overview ? `${STATUS_LABEL[overview.status]} · opsdeck` : "opsdeck";
  }, [overview]);

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (!isJumpShortcut(e)) return;
      // Also keeps the browser from using the shortcut for its own search box.
      e.preventDefault();
      setPaletteOpen(true);
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  useRouteFocus(route);

  return (
    <div className="app">
      {/* Everything but the palette: inert while the palette is open, as it is modal. */}
      <div className="app-frame" inert={paletteOpen}>
        <a
          className="skip-link"
          href="#main-content"
          onClick={(e) => {
            // The hash names routes, so move focus by hand instead of following the link.
            e.preventDefault();
            document.querySelector<HTMLElement>("#main-content h1")?.focus();
          }}
        >
          Skip to content
        </a>
        <header className="app-head">
          <a className="brand" href={OVERVIEW_HREF}>
            <img className="brand-icon" src="./icons/icon-192.png" alt="" width="20" height="20" />
            opsdeck
          </a>
          <nav className="app-nav" aria-label="Main">
            <a href={OVERVIEW_HREF} aria-current={route.view === "overview" ? "page" : undefined}>
              Overview
            </a>
            <a href={QUEUES_HREF} aria-current={route.view === "queues" ? "page" : undefined}>
              Queues
            </a>
            <a href={ALERTS_HREF} aria-current={route.view === "alerts" ? "page" : undefined}>
              Alerts
            </a>
            <a href={CABS_HREF} aria-current={route.view === "cabs" || route.view === "cab" ? "page" : undefined}>
              CABs
            </a>
            <a href={ENVIRONMENTS_HREF} aria-current={route.view === "environments" ? "page" : undefined}>
              Environments
            </a>
            {admin && (
              <>
                <a href={CREDENTIALS_HREF} aria-current={route.view === "credentials" ? "page" : undefined}>
                  Credentials
                </a>
                <a href={SETTINGS_HREF} aria-current={route.view === "settings" ? "page" : undefined}>
                  Settings
                </a>
              </>
            )}
          </nav>
          {overview && totalChecks(overview) > 0 && (
            <div className="app-summary">
              <span className="overall">
                <span className="sr-only">Overall status: </span>
                <StatusBadge status={overview.status} className="status-large" />
              </span>
              <Counts counts={overview.counts} all label="All checks by status" />
            </div>
          )}
          <div className="app-tools">
            <button
              type="button"
              className="jump-button"
              aria-haspopup="dialog"
              aria-keyshortcuts="Control+K Meta+K"
              onClick={() => setPaletteOpen(true)}
            >
              <SearchIcon />
              <span>Jump to…</span>
              <kbd aria-hidden="true">{jumpShortcutLabel()}</kbd>
            </button>
            <span className={`live live-${live.connection}`} role="status">
              {CONNECTION_TEXT[live.connection]}
            </span>
            {onSignOut && <SessionControls caller={caller} onSignOut={onSignOut} />}
          </div>
        </header>
        <ConnectionBanner connection={live.connection} lastDataAt={live.lastDataAt} />
        {overview?.config.error && (
          <div className="banner banner-error config-error" role="alert">
            <p>
              <strong>The configuration file was not applied.</strong> The previous configuration is still in
              use.
            </p>
            {overview.config.path && <p className="wrap">File: {overview.config.path}</p>}
            <pre className="wrap">{overview.config.error}</pre>
          </div>
        )}
        <div id="main-content">
          {route.view === "check" ? (
            <CheckPage
              key={route.id}
              backend={backend}
              id={route.id}
              known={findCheck(overview, route.id)}
              back={BACK_TARGETS[listView]}
            />
          ) : route.view === "queues" ? (
            <QueuesPage backend={backend} />
          ) : route.view === "alerts" ? (
            <AlertsPage backend={backend} overview={overview} />
          ) : route.view === "cabs" || route.view === "cab" ? (
            <CabPage backend={backend} route={route} />
          ) : route.view === "environments" ? (
            <EnvironmentsPage backend={backend} overview={overview} tab={route.tab} />
          ) : route.view === "settings" ? (
            <SettingsPage backend={backend} />
          ) : route.view === "credentials" ? (
            <CredentialsPage backend={backend} overview={overview} />
          ) : (
            <OverviewPage
              state={live}
              query={query}
              onQueryChange={setQuery}
              onlyProblems={onlyProblems}
              onOnlyProblemsChange={setOnlyProblems}
              onCheckAll={canRunChecks(caller) ? checkAll : undefined}
            />
          )}
        </div>
      </div>
      {paletteOpen && <CommandPalette overview={overview} onClose={closePalette} admin={admin} />}
    </div>
  );
}

/** Who is signed in, and the way out. Only in a browser: the desktop app has no sign-in. */
function SessionControls({ caller, onSignOut }: { caller: Caller; onSignOut: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);
  const signOut = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSignOut();
    } catch (e) {
      setBusy(false);
      setError(toBackendError(e));
    }
  };
  return (
    <div className="session">
      <p className="session-who">
        <span className="session-label">Signed in as </span>
        <span className="session-name">{caller.name}</span>{" "}
        <span className="session-role">
          <span className="sr-only">, role </span>
          {ROLE_LABEL[caller.role]}
        </span>
      </p>
      <button type="button" aria-disabled={busy || undefined} onClick={() => void signOut()}>
        {busy ? "Signing out…" : "Sign out"}
      </button>
      {error && (
        <p className="session-error error-text" role="alert">
          Could not sign out: {error.message}
        </p>
      )}
    </div>
  );
}

function SearchIcon() {
  return (
    <svg className="button-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M10.4 10.4L14 14" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

function findCheck(overview: Overview | null, id: string): CheckView | null {
  for (const env of overview?.environments ?? []) {
    const found = env.checks.find((c) => c.id === id);
    if (found) return found;
  }
  return null;
}

/** One string per distinct view, so effects can tell when the view changed. */
function routeKey(route: Route): string {
  if (route.view === "check") return `check:${route.id}`;
  if (route.view === "cab") return `cab:${route.name}`;
  if (route.view === "cabs") return `cabs:${route.tab}`;
  if (route.view === "environments") return `environments:${route.tab}`;
  return route.view;
}

/**
 * After navigating, move focus to the new view's heading; back on the overview, the queues,
 * the alerts or the environments, to the link of the check just left (on the CABs, of the CAB
 * just left), so keyboard users keep their place.
 */
function useRouteFocus(route: Route) {
  const key = routeKey(route);
  const previous = useRef<string | undefined>(undefined);
  useEffect(() => {
    const left = previous.current;
    previous.current = key;
    if (left === undefined) return; // first render: leave focus alone
    const leftCheck = left.startsWith("check:") ? left.slice("check:".length) : null;
    const link =
      (key === "overview" || key === "queues" || key === "alerts" || key === "environments:cards") &&
      leftCheck !== null
        ? [...document.querySelectorAll<HTMLElement>("a[data-check-id]")].find(
            (a) => a.dataset.checkId === leftCheck,
          )
        : undefined;
    const leftCab = left.startsWith("cab:") ? left.slice("cab:".length) : null;
    const cabLink =
      key === "cabs:pipeline" && leftCab !== null
        ? [...document.querySelectorAll<HTMLElement>("a[data-cab-name]")].find((a) => a.dataset.cabName === leftCab)
        : undefined;
    if (link ?? cabLink) {
      (link ?? cabLink)?.focus();
      return;
    }
    document.querySelector<HTMLElement>("#main-content h1")?.focus();
    if (key !== "overview") window.scrollTo(0, 0);
  }, [key]);
}
