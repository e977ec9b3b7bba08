// The round with no signal: fills the shell (offline/round.html) from the encrypted bundle and
// sends every record to the sealed outbox (js/offline.js). Names go in with textContent only.
const list = document.getElementById("offline-round");
const empty = document.getElementById("offline-round-empty");
const formTemplate = document.getElementById("offline-form");
const t = list ? list.dataset : {};

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text != null) node.textContent = text;
  return node;
}

function card(h, api) {
  const li = el("li", "round-card" + (h.overdue_days > 0 ? " overdue" : ""));
  li.id = "hh-" + h.id;
  li.dataset.household = String(h.id);
  li.append(el("h2", "round-address", h.address));
  if (h.members.length) li.append(el("p", "round-members", h.members.join("、")));
  const due = el("p", "round-due");
  const label = !h.last_contact_at ? t.noVisit
    : h.overdue_days > 0 ? t.overdue.replace("{n}", h.overdue_days) : t.due.replace("{date}", h.due_on || "");
  due.append(el("span", "badge due", label));
  if (h.last_contact_at) due.append(" ", el("span", "muted", t.last.replace("{date}", h.last_contact_at.slice(0, 10))));
  li.append(due);
  const quick = el("button", "button primary", t.quick);
  quick.type = "button";
  quick.dataset.quickLog = "";
  quick.addEventListener("click", async () => {
    quick.disabled = true;
    await api.enqueue("contact", h.id, { household_id: h.id, method: "visit", outcome: "no_change" });
    api.replay();
  });
  li.append(quick);
  const details = el("details", "offline-other");
  details.append(el("summary", "button", t.other));
  const form = formTemplate.content.firstElementChild.cloneNode(true);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = new FormData(form);
    const clientId = api.newClientId();
    await api.enqueue("contact", h.id, {
      household_id: h.id, method: f.get("method"), outcome: f.get("outcome"), signs: f.getAll("signs"),
      note: f.get("note") || "",
    }, clientId);
    if (f.get("flag_concern")) {
      // Replayed after its visit (entries go in order), so the concern finds its contact.
      await api.enqueue("concern_flag", h.id, { contact_client_id: clientId });
    }
    form.reset();
    details.open = false;
    api.replay();
  });
  details.append(form);
  li.append(details);
  return li;
}

async function show() {
  const api = window.tsunaguOffline;
  let bundle = null;
  try {
    bundle = await api.loadBundle();
  } catch (err) {
    bundle = null;
  }
  if (!bundle || !bundle.households.length) {
    empty.hidden = false;
    return;
  }
  list.replaceChildren(...bundle.households.map((h) => card(h, api)));
  await api.refresh();
  document.documentElement.dataset.roundShown = String(bundle.households.length);
}

// js/offline.js (loaded first, in document order) exposes window.tsunaguOffline.
if (window.tsunaguOffline) show();
else window.addEventListener("load", show, { once: true });
