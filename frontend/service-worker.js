// Relief's service worker, served at /sw.js by config/frontend.py, which prepends
// SHELL_VERSION (a hash of the shell files) and SHELL_FILES (their URLs).
//
// - One versioned cache for the app shell, filled (and awaited) at install.
// - Cache-first for the shell only; the plotly bundle is cached the first time a chart
//   screen loads it (never before: the check-in screen must not pay for it).
// - /api/ is never cached: every API request goes straight to the network.
// - On activate, only this app's stale caches are deleted.

/* global SHELL_VERSION, SHELL_FILES */
const PREFIX = "relief-";
const SHELL_CACHE = `${PREFIX}shell-${SHELL_VERSION}`;
const RUNTIME = new Set(["/vendor/plotly-basic.min.js"]);
const SHELL = new Set(SHELL_FILES);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // cache: "reload" skips the HTTP cache, so a new version never precaches old files.
      await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "reload" })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(PREFIX) && name !== SHELL_CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

async function fromCacheFirst(request, key) {
  const hit = await caches.match(key, { cacheName: SHELL_CACHE });
  if (hit) return hit;
  const response = await fetch(request);
  // The cache may have been emptied (sign-out clears caches): fill it again as we go.
  if (response.ok && response.type === "basic") {
    const cache = await caches.open(SHELL_CACHE);
    await cache.put(key, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return; // network only, never cached
  if (request.mode === "navigate" && (url.pathname === "/" || url.pathname === "/index.html")) {
    event.respondWith(fromCacheFirst(request, "/"));
    return;
  }
  if (SHELL.has(url.pathname) || RUNTIME.has(url.pathname)) {
    event.respondWith(fromCacheFirst(request, url.pathname));
  }
});
