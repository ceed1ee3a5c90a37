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

// --------------------------------------------------------------------------- notifications
// A push from the clinic's server (push/services.py sends {title, body, url, tag}, encrypted
// for this browser) is shown as a notification; tapping it opens its page, today's check-in,
// in the app's window if one is open, else in a new one. Only this app's own pages open.

const CHECK_IN = "/#/";

function ownPage(url) {
  try {
    const page = new URL(url, self.location.origin);
    if (page.origin === self.location.origin) return page.href;
  } catch {
    // not a URL: today's check-in
  }
  return new URL(CHECK_IN, self.location.origin).href;
}

function readPush(data) {
  let message = {};
  try {
    message = data?.json() ?? {};
  } catch {
    // not JSON: the defaults below
  }
  const text = (value, fallback) => (typeof value === "string" && value ? value : fallback);
  return {
    title: text(message.title, "Relief"),
    body: text(message.body, "How are you today? Your check-in takes a few seconds."),
    url: ownPage(text(message.url, CHECK_IN)),
    tag: text(message.tag, "relief"),
  };
}

self.addEventListener("push", (event) => {
  const message = readPush(event.data);
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      tag: message.tag,
      icon: "/icons/icon-192.png",
      data: { url: message.url },
    }),
  );
});

async function openPage(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => client.focused) ?? windows[0];
  if (open) {
    // A tap on the notification allows focusing the window; then it shows the page.
    await open.focus().catch(() => {});
    if (await open.navigate(url).catch(() => null)) return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPage(ownPage(event.notification.data?.url)));
});
