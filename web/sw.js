// Tsunagu's service worker, served from /sw.js (root scope) with its version and precache list
// injected by server/offline/routes.py. A few dozen lines on purpose:
// - precache the app shell (CSS, JS, htmx, icons, the offline page and the round's empty shell);
// - page loads: network first (with a short timeout for /round and /home), then the round's
//   shell for those (filled on the phone from its encrypted bundle), then the offline page;
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
  const round = ROUND_PATHS.has(url.pathname);
  event.respondWith((async () => {
    try {
      // The round falls back to its copy after a short wait (a stairwell's weak signal); any other
      // page waits for the network and shows the offline page only when there is none, so a slow
      // server never turns a sign-in or a form into the offline page.
      return await (round ? withTimeout(fetch(request), TIMEOUT_MS) : fetch(request));
    } catch (err) {
      const cache = await caches.open(CACHE);
      const fallback = round ? "/offline/round" : "/offline";
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

// Background Sync (where the browser has it): the outbox replays even after the page is closed.
// Entries are already sealed on the phone; the worker only carries them, and deletes each one
// only once the server's answer names it (the same rule as js/offline.js).
function idb(mode, fn) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("tsunagu-offline", 1);
    open.onupgradeneeded = () => { open.transaction.abort(); };  // nothing queued: no database yet
    open.onerror = () => resolve(null);
    open.onsuccess = () => {
      const db = open.result;
      const tx = db.transaction("outbox", mode);
      const result = fn(tx.objectStore("outbox"));
      tx.oncomplete = () => { db.close(); resolve(result.result !== undefined ? result.result : null); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    };
  });
}

async function replayOutbox() {
  const headers = { accept: "application/json", "x-tsunagu-background": "1" };
  for (;;) {
    const all = (await idb("readonly", (s) => s.getAll())) || [];
    if (!all.length) return;
    const key = await fetch("/sync/key", { headers, credentials: "same-origin", cache: "no-store" });
    if (!key.ok) return;  // signed out: keep everything until the person signs in again
    const { csrf, user_id, signed_out } = await key.json();
    if (signed_out) return;  // the same: keep everything until the person signs in again
    const batch = all.filter((e) => e.user_id === user_id).slice(0, 50);
    if (!batch.length) return;
    const r = await fetch("/sync", { method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { ...headers, "content-type": "application/json", "x-csrftoken": csrf },
      body: JSON.stringify({ entries: batch.map(({ client_id, kind, household_id, client_at, sealed }) =>
        ({ client_id, kind, household_id, client_at, sealed })) }) });
    if (!r.ok) throw new Error("sync " + r.status);  // the browser retries the sync event later
    const answered = new Set((await r.json()).results.map((x) => x.client_id));
    await idb("readwrite", (s) => { for (const e of batch) if (answered.has(e.client_id)) s.delete(e.seq); return {}; });
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(replayOutbox());
});
