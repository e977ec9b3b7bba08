// 緊急 concerns of the professional's organisation, noticed on every page: poll a small endpoint.
// Once signed in, the answer carries a signed token naming only the organisation; after the session
// has expired the page keeps asking with it and shows "緊急 N件 — サインインしてください"
// (a count, never personal data). Background requests do not extend the session.
const box = document.getElementById("urgent-alert");
if (box) {
  const link = box.querySelector("a");
  const url = box.dataset.alertUrl;
  const every = Number(box.dataset.every || 5000);
  let token = "";
  const poll = async () => {
    try {
      const query = token ? `?t=${encodeURIComponent(token)}` : "";
      const response = await fetch(url + query, {
        headers: { "X-Tsunagu-Background": "1", Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const data = await response.json();
        if (data.token) token = data.token;
        if (data.count > 0) {
          link.textContent = data.message;
          link.href = data.href;
          box.hidden = false;
        } else {
          box.hidden = true;
        }
      }
    } catch (_offline) {
      // no network: try again at the next tick
    }
    setTimeout(poll, every);
  };
  poll();
}
