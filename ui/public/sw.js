// opsdeck service worker: lets the browser console (and the installed app) open while the
// server is unreachable, showing its own "cannot reach opsdeck" state instead of a browser
// error page. Only the app shell is cached. Live data (`api/`, `metrics`, `HealthCheck`)
// always goes to the network and is never stored.
//
// Every URL is relative to the registration scope, so the console works wherever the server
// mounts it. Hashed build assets never change, so the worker itself does not need a new
// version per release: the page is fetched network-first and pulls in its new assets.

/* global self, caches, fetch, URL, Response */

const SHELL_CACHE = "opsdeck-shell-v1";
const ASSET_CACHE = "opsdeck-assets-v1";
const CACHES = [SHELL_CACHE, ASSET_CACHE];
/** Old hashed assets are dropped beyond this many (oldest first). */
const MAX_ASSETS = 40;
const SHELL = ["./", "manifest.webmanifest", "favicon.ico", "icons/icon-192.png", "icons/icon-512.png"];
const LIVE = [/^api(\/|$)/, /^metrics$/, /^HealthCheck$/];

const scoped = (path) => new URL(path, self.registration.scope).href;

/** The path below the scope, or null for a URL outside it. */
function relativePath(url) {
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  return url.pathname.slice(scope.pathname.length);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      await cache.addAll(SHELL.map(scoped)).catch(() => undefined);
      // The page was loaded before this worker existed: also keep the assets it uses, so
      // that the first offline start works.
      const index = await cache.match(scoped("./"));
      if (index) {
        const html = await index.text();
        const assets = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => scoped(m[1]));
        const assetCache = await caches.open(ASSET_CACHE);
        await assetCache.addAll(assets).catch(() => undefined);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("opsdeck-") && !CACHES.includes(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const path = relativePath(url);
  if (path === null || url.pathname.includes("/api/") || LIVE.some((re) => re.test(path))) return;
  if (request.mode === "navigate") event.respondWith(page(request));
  else if (path.startsWith("assets/")) event.respondWith(asset(request));
  else if (SHELL.includes(path)) event.respondWith(shellFile(request));
});

/** Network first, so a new release shows at once; the cached page when offline. */
async function page(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    const html = (response.headers.get("Content-Type") ?? "").includes("text/html");
    // Every route is the same page (routes live in the hash), so one copy is enough.
    if (response.ok && html && !response.redirected) await cache.put(scoped("./"), response.clone());
    return response;
  } catch {
    const cached = await cache.match(scoped("./"));
    return (
      cached ??
      new Response("opsdeck is not reachable. Check that opsdeck is running, then reload.", {
        status: 503,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      })
    );
  }
}

/** Hashed build files never change: cache first. */
async function asset(request) {
  const cache = await caches.open(ASSET_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    await cache.put(request, response.clone());
    const keys = await cache.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ASSETS))) await cache.delete(old);
  }
  return response;
}

/** Manifest and icons: network first, cached copy when offline. */
async function shellFile(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch {
    return (await cache.match(request)) ?? Response.error();
  }
}
