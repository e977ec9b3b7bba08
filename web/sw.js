// Tsunagu's service worker, served from /sw.js (root scope) with its version and precache list
// injected by server/offline/routes.py. A few dozen lines on purpose:
// - precache the app shell (CSS, JS, htmx, icons, the offline page and the round's empty shell);
// - page loads: network first with a short timeout, then the round's shell for /round and
//   /home (filled on the phone from its encrypted bundle), then the offline page;
// - nothing personal is ever put in the Cache API: pages with residents stay no-store; the
//   round's data lives only encrypted in IndexedDB (web/static/js/offline.js).
const VERSION = "__VERSION__";
const PRECACHE = ["__PRECACHE__"];
const CACHE = "tsunagu-shell-" + VERSION;
const ROUND_PATHS = new Set(["/round", "/home", "/offline/round"]);
const TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  // Without cookies: the cached pages must not carry anyone's name, id or token.
  const requests = PRECACHE.map((url) => new Request(url, { credentials: "omit" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    // Asset URLs carry a content hash: the cached copy is the right one.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode !== "navigate") return;
  event.respondWith((async () => {
    try {
      return await withTimeout(fetch(request), TIMEOUT_MS);
    } catch (err) {
      const cache = await caches.open(CACHE);
      const fallback = ROUND_PATHS.has(url.pathname) ? "/offline/round" : "/offline";
      return (await cache.match(fallback)) || (await cache.match("/offline")) || Response.error();
    }
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "wipe") {
    // Sign-out, switching person, or access ended: drop every cache (the sealed outbox stays).
    event.waitUntil(caches.keys().then((names) => Promise.all(names.map((n) => caches.delete(n)))));
  }
});
