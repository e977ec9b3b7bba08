// Works with no signal: the service worker, the sealed outbox, replay to POST /sync, the badge,
// the round bundle, and the sign-out wipe. Progressive enhancement: without this file every
// form still posts to the server as usual.
//
// At rest on the phone (IndexedDB "tsunagu-offline"):
//   outbox: {seq, user_id, client_id, kind, household_id, client_at, sealed}: `sealed` is
//           encrypted to the server's public key (ECDH P-256 + HKDF + AES-GCM); the phone
//           cannot read it back. Only kind, household id and time stay readable.
//   meta:   the server's public key, and the round bundle encrypted with a key derived from the
//           passkey (WebAuthn PRF) or, where the authenticator has none, a device key, kept 24 h.
const DB_NAME = "tsunagu-offline";
const BATCH = 50;
const enc = new TextEncoder();
const status = document.getElementById("outbox-status");
const badge = document.getElementById("outbox-badge");
const cfg = status ? status.dataset : {};
const signedIn = cfg.signedIn === "1";

// The badge's styles are only needed once this script runs: not render-blocking for every page.
if (cfg.css && !document.querySelector("link[data-offline-css]")) {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = cfg.css;
  link.dataset.offlineCss = "";
  document.head.append(link);
}

// --- IndexedDB --------------------------------------------------------------------------------
function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      const outbox = db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("client_id", "client_id", { unique: true });
      db.createObjectStore("meta");
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(store, mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      let result;
      Promise.resolve(fn(tx.objectStore(store))).then((r) => { result = r; });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const req2p = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
const getMeta = (key) => run("meta", "readonly", (s) => req2p(s.get(key)));
const setMeta = (key, value) => run("meta", "readwrite", (s) => req2p(s.put(value, key)));
const delMeta = (key) => run("meta", "readwrite", (s) => req2p(s.delete(key)));
const allEntries = () => run("outbox", "readonly", (s) => req2p(s.getAll()));

// --- sealing to the server's key ----------------------------------------------------------------
const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function seal(key, clientId, kind, data) {
  const server = await crypto.subtle.importKey("jwk", key.jwk, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const oneTime = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: server }, oneTime.privateKey, 256);
  const epk = await crypto.subtle.exportKey("raw", oneTime.publicKey);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const aes = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: epk, info: enc.encode("tsunagu-outbox-v1") },
    hkdf, { name: "AES-GCM", length: 256 }, false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: enc.encode(`${key.kid}|${clientId}|${kind}`) },
    aes, enc.encode(JSON.stringify(data)));
  return { v: 1, kid: key.kid, epk: b64u(epk), iv: b64u(iv), ct: b64u(ct) };
}

const JSON_HEADERS = { accept: "application/json", "x-tsunagu-background": "1" };

async function fetchKey() {
  const r = await fetch("/sync/key", { headers: JSON_HEADERS, credentials: "same-origin", cache: "no-store" });
  if (r.status === 401 || r.status === 403) return { signedOut: true };
  if (!r.ok) throw new Error("key " + r.status);
  const key = await r.json();
  if (key.signed_out) return { signedOut: true };
  await setMeta("syncKey", { kid: key.kid, jwk: key.jwk, user_id: key.user_id });
  return key;
}

export function newClientId() {
  return crypto.randomUUID().replace(/-/g, "");
}

// --- the outbox ----------------------------------------------------------------------------------
export async function enqueue(kind, householdId, data, clientId = newClientId()) {
  const key = await getMeta("syncKey");
  if (!key) throw new Error("no sync key on this phone yet");
  const entry = { user_id: key.user_id, client_id: clientId, kind, household_id: householdId,
                  client_at: new Date().toISOString(), sealed: await seal(key, clientId, kind, data) };
  await run("outbox", "readwrite", (s) => req2p(s.add(entry)));
  await refresh(true);
  // Background Sync where the browser has it: replayed by the worker even if the page is closed.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register("outbox")).catch(() => {});
  }
  return entry;
}

export async function pendingCount() {
  return (await allEntries()).length;
}

export async function pendingHouseholds() {
  return new Set((await allEntries()).map((e) => e.household_id).filter((h) => h != null));
}

function say(template, n) {
  return (template || "").replace("{n}", String(n));
}

export async function refresh(justSaved = false) {
  const n = await pendingCount();
  if (badge) {
    badge.dataset.count = String(n);
    badge.textContent = say(cfg.pending, n);
    badge.hidden = n === 0;
  }
  if (status && (justSaved || n === 0)) {
    status.textContent = n ? say(cfg.saved, n) : "";
    status.hidden = n === 0;
  }
  const pending = await pendingHouseholds();
  for (const card of document.querySelectorAll("[data-household], li.round-card[id^='hh-']")) {
    const mark = card.querySelector(".pending-mark");
    const has = pending.has(Number(card.dataset.household || card.id.slice(3)));
    if (has && !mark) {
      const p = document.createElement("p");
      p.className = "pending-mark badge";
      p.textContent = cfg.logged;
      card.prepend(p);
    } else if (!has && mark) mark.remove();
  }
  document.dispatchEvent(new CustomEvent("outbox-changed", { detail: { count: n } }));
  return n;
}

// --- replay --------------------------------------------------------------------------------------
let replaying = null;
let backoff = 0;
let retryTimer = null;

export function replay() {
  if (!replaying) replaying = replayOnce().finally(() => { replaying = null; });
  return replaying;
}

async function replayOnce() {
  if (!navigator.onLine) return "offline";
  try {
    for (;;) {
      const key = await fetchKey();
      if (key.signedOut) { needSignIn(); return "signin"; }
      const entries = (await allEntries()).filter((e) => e.user_id === key.user_id).slice(0, BATCH);
      if (!entries.length) break;
      const r = await fetch("/sync", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { ...JSON_HEADERS, "content-type": "application/json", "x-csrftoken": key.csrf },
        body: JSON.stringify({ entries: entries.map(({ client_id, kind, household_id, client_at, sealed }) =>
          ({ client_id, kind, household_id, client_at, sealed })) }),
      });
      if (r.status === 401 || r.status === 403) { needSignIn(); return "signin"; }
      if (!r.ok) throw new Error("sync " + r.status);
      const answered = new Set((await r.json()).results.map((x) => x.client_id));
      // Only what the server answered for leaves the phone.
      await run("outbox", "readwrite", (s) => { for (const e of entries) if (answered.has(e.client_id)) s.delete(e.seq); });
      await refresh();
    }
    backoff = 0;
    await refresh();
    return "done";
  } catch (err) {
    backoff = Math.min(Math.max(backoff * 2, 5000), 300000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(replay, backoff);
    return "retry";
  }
}

async function needSignIn() {
  // The session ended: keep every entry, forget the round (it is personal), ask to sign in.
  await delMeta("bundle").catch(() => {});
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "wipe" });
  if (status) { status.textContent = cfg.signin; status.hidden = false; }
}

// --- the round bundle, encrypted at rest -----------------------------------------------------------
// With a passkey that has the PRF extension: an ECDH key pair for the round, its private half
// wrapped with an AES key derived from the passkey's PRF output. A new bundle is sealed to the
// public half without a touch; opening the round offline unwraps it with one touch (a locally
// made challenge). Kept until the session's absolute limit. Without PRF: a device key, 24 hours.
const PRF_SALT = enc.encode("tsunagu-round-v1");

async function prfKey() {
  if (!window.PublicKeyCredential || !PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable) return null;
  if (!(await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable())) return null;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 20000);
  try {
    const cred = await navigator.credentials.get({ signal: abort.signal, publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: cfg.rpId || location.hostname,
      userVerification: "required", allowCredentials: [], timeout: 20000,
      extensions: { prf: { eval: { first: PRF_SALT } } } } });
    const prf = cred && cred.getClientExtensionResults().prf;
    if (!prf || !prf.results || !prf.results.first) return null;
    const hk = await crypto.subtle.importKey("raw", prf.results.first, "HKDF", false, ["deriveKey"]);
    return await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0),
      info: enc.encode("tsunagu-round-key-v1") }, hk, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  } catch (err) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function roundKey() {
  const existing = await getMeta("roundKey");
  if (existing) return existing;
  let made = null;
  const wrapKey = await prfKey();
  if (wrapKey) {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, wrapKey, await crypto.subtle.exportKey("pkcs8", pair.privateKey));
    made = { mode: "prf", pub: await crypto.subtle.exportKey("jwk", pair.publicKey), wrapped: { iv, ct } };
  } else {
    made = { mode: "device", key: await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]) };
  }
  await setMeta("roundKey", made);
  return made;
}

const unb64u = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function openSealed(privateKey, envelope, aad) {
  const epk = unb64u(envelope.epk);
  const peer = await crypto.subtle.importKey("raw", epk, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = await crypto.subtle.deriveBits({ name: "ECDH", public: peer }, privateKey, 256);
  const hkdf = await crypto.subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const aes = await crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: epk, info: enc.encode("tsunagu-outbox-v1") },
    hkdf, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  return crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64u(envelope.iv), additionalData: enc.encode(aad) }, aes, unb64u(envelope.ct));
}

export async function saveBundle() {
  const r = await fetch("/offline/bundle", { headers: JSON_HEADERS, credentials: "same-origin", cache: "no-store" });
  if (!r.ok) return false;
  const text = await r.text();
  const meta = JSON.parse(text);
  const rk = await roundKey();
  const stored = { mode: rk.mode, user_id: meta.user_id, count: meta.households.length };
  if (rk.mode === "prf") {
    stored.sealed = await seal({ kid: "round", jwk: rk.pub }, "bundle", "round", meta);
    stored.expires_at = meta.session_expires_at || meta.expires_at;
  } else {
    stored.iv = crypto.getRandomValues(new Uint8Array(12));
    stored.ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv: stored.iv }, rk.key, enc.encode(text));
    stored.expires_at = meta.expires_at;  // 24 hours at most
  }
  await setMeta("bundle", stored);
  return rk.mode;
}

export async function loadBundle() {
  const stored = await getMeta("bundle");
  if (!stored) return null;
  const key = await getMeta("syncKey");
  const rk = await getMeta("roundKey");
  if (new Date(stored.expires_at) <= new Date() || !key || !rk || stored.user_id !== key.user_id || rk.mode !== stored.mode) {
    await delMeta("bundle");
    return null;
  }
  let plain;
  if (stored.mode === "prf") {
    const unwrap = await prfKey();  // the same fingerprint or face as signing in
    if (!unwrap) return null;
    const pkcs8 = await crypto.subtle.decrypt({ name: "AES-GCM", iv: rk.wrapped.iv }, unwrap, rk.wrapped.ct);
    const priv = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    plain = await openSealed(priv, stored.sealed, "round|bundle|round");
    return JSON.parse(new TextDecoder().decode(plain));
  }
  plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, rk.key, stored.ct);
  return JSON.parse(new TextDecoder().decode(plain));
}

// --- forms: into the outbox when there is no connection ---------------------------------------------
const QUICK = /^\/round\/(\d+)\/quick$/;
const CONTACT = /^\/households\/(\d+)\/contacts$/;

function contactData(form, householdId) {
  const f = new FormData(form);
  const consults = [];
  for (let i = 0; i < 3; i++) {
    const a = f.get(`consult_field_${i}`), b = f.get(`consult_content_${i}`);
    if (a || b) consults.push([a || "", b || ""]);
  }
  return {
    household_id: householdId, method: f.get("method") || "visit", outcome: f.get("outcome") || "no_change",
    signs: f.getAll("signs"), note: f.get("note") || "", occurred_at: f.get("occurred_at") || null,
    duration: f.get("duration") || null, revisit_on: f.get("revisit_on") || null,
    flag_concern: !!f.get("flag_concern"), consults, liaisons: f.getAll("liaison").filter(Boolean),
  };
}

// Each offline-capable form, by the path it posts to: the outbox kind and the entry's data. The
// server applies each kind with the same service function as the page (server/offline/registry.py).
const CONCERN = /^\/concerns$/;
const ATTENDANCE = /^\/salons\/sessions\/(\d+)\/attendance$/;
const WALK_IN = /^\/salons\/sessions\/(\d+)\/walk-ins$/;
const SIGNUP = /^\/salons\/sessions\/(\d+)\/signups$/;
const OFFLINE_FORMS = [QUICK, CONTACT, CONCERN, ATTENDANCE, WALK_IN, SIGNUP];
const num = (v) => (v ? Number(v) || null : null);

function formData(form, submitter) {
  try {
    return submitter ? new FormData(form, submitter) : new FormData(form);
  } catch {
    const f = new FormData(form);
    if (submitter && submitter.name) f.set(submitter.name, submitter.value);
    return f;
  }
}

function outboxEntry(form, submitter) {
  const path = new URL(form.action, location.href).pathname;
  const f = formData(form, submitter);
  const clientId = f.get("client_id") || newClientId();
  let m;
  if ((m = path.match(QUICK))) {
    const hid = Number(m[1]);
    return { kind: "contact", householdId: hid, clientId, data: { household_id: hid, method: "visit", outcome: "no_change" } };
  }
  if ((m = path.match(CONTACT))) {
    const hid = Number(m[1]);
    return { kind: "contact", householdId: hid, clientId, data: contactData(form, hid), then: "/round" };
  }
  if (CONCERN.test(path)) {
    const hid = num(f.get("household_id"));
    const data = { household_id: hid, area_id: num(f.get("area_id")), person_id: num(f.get("person_id")) };
    for (const k of ["place", "target_group", "category", "urgency", "seen", "done"]) data[k] = f.get(k) || "";
    return { kind: "concern", householdId: hid, clientId, data, once: true };
  }
  if ((m = path.match(ATTENDANCE))) {
    // A tap is an upsert on the server: each tap is its own entry (tap, then change one's mind).
    const data = { session_id: Number(m[1]), person_id: num(f.get("person_id")), status: f.get("status") || "" };
    if (f.has("noticed")) data.noticed = f.get("noticed") || "";
    return { kind: "attendance", householdId: null, clientId: newClientId(), data, tap: submitter };
  }
  if ((m = path.match(WALK_IN))) {
    const data = { session_id: Number(m[1]), person_id: num(f.get("person_id")), name: f.get("name") || "", phone: f.get("phone") || "" };
    return { kind: "walk_in", householdId: null, clientId, data, once: true };
  }
  if ((m = path.match(SIGNUP))) {
    const data = { session_id: Number(m[1]), person_id: num(f.get("person_id")), needs_transport: !!f.get("needs_transport") };
    return { kind: "signup", householdId: null, clientId, data, once: true };
  }
  return null;
}

async function keepOffline(form, submitter) {
  const e = outboxEntry(form, submitter);
  if (!e) return false;
  if (form.dataset.queued === e.clientId) return true;  // the same form sent twice: one entry
  await enqueue(e.kind, e.householdId, e.data, e.clientId);
  if (e.then) { location.assign(e.then); return true; }
  if (e.once) {
    form.dataset.queued = e.clientId;
    for (const b of form.querySelectorAll("button[type=submit], button:not([type])")) b.disabled = true;
  }
  if (e.tap) {  // show the tap as taken, as the server's answer would
    for (const b of form.querySelectorAll("button[data-tap]")) {
      const on = b === e.tap;
      b.classList.toggle("primary", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    }
    form.dataset.queued = "";
  }
  return true;
}

const isOfflineForm = (form) => OFFLINE_FORMS.some((re) => re.test(new URL(form.action, location.href).pathname));

// The button that sent a form (htmx's sendError does not say which).
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("button[name]");
  if (button && button.form) button.form.lastSubmitter = button;
}, true);

const couldNotKeep = () => { if (status) { status.textContent = cfg.failed; status.hidden = false; } };

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.matches("[action='/signout']")) { signOut(event); return; }
  if (!isOfflineForm(form) || form.dataset.native) return;
  if (navigator.onLine) {
    // htmx forms have their own fallback (htmx:sendError below); a plain POST that fails on the
    // network would otherwise end on the worker's offline page and lose what was typed.
    if (form.hasAttribute("hx-post")) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    postPlain(form, event.submitter).catch(couldNotKeep);
    return;
  }
  event.preventDefault();
  event.stopImmediatePropagation();
  keepOffline(form, event.submitter).catch(couldNotKeep);
}, true);

// A plain offline-capable form sent while the phone says it is online: posted with fetch; a network
// failure puts it into the outbox (its client id makes a late arrival of the first try harmless);
// any answer from the server is shown as the browser would have (a 303 is followed, a 422 or an
// error page is fetched again by the form's own submission, which writes nothing twice).
async function postPlain(form, submitter) {
  if (form.dataset.posting) return;
  form.dataset.posting = "1";
  let r;
  try {
    r = await fetch(form.action, { method: "POST", credentials: "same-origin", redirect: "follow",
      headers: { accept: "text/html" }, body: new URLSearchParams(formData(form, submitter)) });
  } catch (err) {
    delete form.dataset.posting;
    await keepOffline(form, submitter);
    return;
  }
  delete form.dataset.posting;
  if (r.ok && r.redirected) { location.assign(r.url); return; }
  form.dataset.native = "1";
  if (submitter) form.requestSubmit(submitter); else form.requestSubmit();
}

// htmx requests that fail on the network (a connection that says it is up but is not).
document.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt && event.detail.elt.closest("form");
  if (form && isOfflineForm(form)) keepOffline(form, form.lastSubmitter).catch(() => {});
});

// --- sign-out and switching person: wipe, but only once the outbox is empty ----------------------
async function signOut(event) {
  const form = event.target;
  if (form.dataset.wiped) return;
  event.preventDefault();
  await replay();
  const left = (await allEntries());
  if (left.length) {
    if (!window.confirm(say(cfg.discard, left.length))) return;
    const csrf = form.querySelector("[name=_csrf_token]");
    await fetch("/sync/discarded", {
      method: "POST", credentials: "same-origin",
      headers: { ...JSON_HEADERS, "content-type": "application/json", "x-csrftoken": csrf ? csrf.value : "" },
      body: JSON.stringify({ entries: left.map(({ client_id, kind, household_id, client_at }) => ({ client_id, kind, household_id, client_at })) }),
    }).catch(() => {});
  }
  await wipe();
  form.dataset.wiped = "1";
  form.submit();  // the answer carries Clear-Site-Data
}

export async function wipe() {
  await new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = req.onerror = req.onblocked = () => resolve();
  });
  if ("caches" in window) for (const name of await caches.keys()) await caches.delete(name);
}

// --- start ---------------------------------------------------------------------------------------
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
window.addEventListener("online", () => replay());
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") replay(); });
setInterval(() => { pendingCount().then((n) => { if (n) replay(); }); }, 30000);
window.tsunaguOffline = { enqueue, replay, refresh, loadBundle, pendingHouseholds, newClientId };

// The round's first paint comes first: the outbox and the bundle wait for an idle moment.
const afterPaint = (fn) => ("requestIdleCallback" in window ? requestIdleCallback(fn, { timeout: 1500 }) : setTimeout(fn, 0));
afterPaint(async () => {
  await refresh();
  if (signedIn && navigator.onLine) {
    await replay();
    if (document.querySelector("ul.round") || location.pathname === "/round") {
      document.documentElement.dataset.roundKept = String(await saveBundle().catch(() => false));
    }
  }
  const progress = document.querySelector("[data-replay-page]");
  if (progress) await replayPage(progress);
  const mode = await getMeta("roundKey").then((rk) => rk && rk.mode).catch(() => null);
  for (const p of document.querySelectorAll("[data-round-mode]")) p.hidden = p.dataset.roundMode !== (mode || "device");
  document.documentElement.dataset.offlineReady = "1";
});

// /sync/replay: where a replay-only sign-in lands (access ended while entries waited). Once the
// outbox has drained it says so and, for a replay-only session, signs out (which wipes the phone).
async function replayPage(progress) {
  for (;;) {
    const outcome = await replay();
    const n = await pendingCount();
    if (n === 0) break;
    if (outcome === "signin") return;
    progress.textContent = say(cfg.pending, n);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  progress.textContent = progress.dataset.done;
  const form = document.querySelector("form[action='/signout']");
  if (progress.dataset.replayOnly && form) form.requestSubmit();
}

// The install page's button: Android's own install prompt, when the browser offers one.
let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  const button = document.getElementById("install-button");
  if (!button) return;
  event.preventDefault();
  installPrompt = event;
  button.hidden = false;
  button.addEventListener("click", () => { installPrompt.prompt(); button.hidden = true; }, { once: true });
});
