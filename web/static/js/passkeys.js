// Passkey ceremonies: sign-in (with the browser's passkey autofill where offered), registration
// from an invitation, adding a passkey, and the step-up check.
// Every URL and every message comes from data-* attributes the server rendered in the person's
// language; errors from the server arrive as {"error": "..."} already translated.

const b64urlToBuffer = (value) => {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
};

const bufferToB64url = (buffer) => {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const decodeDescriptors = (list) => (list || []).map((d) => ({ ...d, id: b64urlToBuffer(d.id) }));

const creationOptions = (o) => ({
  ...o,
  challenge: b64urlToBuffer(o.challenge),
  user: { ...o.user, id: b64urlToBuffer(o.user.id) },
  excludeCredentials: decodeDescriptors(o.excludeCredentials),
});

const requestOptions = (o) => ({
  ...o,
  challenge: b64urlToBuffer(o.challenge),
  allowCredentials: decodeDescriptors(o.allowCredentials),
});

const credentialToJSON = (cred) => {
  const r = cred.response;
  const response = { clientDataJSON: bufferToB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = bufferToB64url(r.attestationObject);
    response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
  } else {
    response.authenticatorData = bufferToB64url(r.authenticatorData);
    response.signature = bufferToB64url(r.signature);
    if (r.userHandle) response.userHandle = bufferToB64url(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: bufferToB64url(cred.rawId),
    type: cred.type,
    response,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
  };
};

class Failure extends Error {}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      "x-csrftoken": document.body.dataset.csrf || "",
    },
    body: JSON.stringify(body || {}),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (_ignored) {
    data = {};
  }
  if (!response.ok) throw new Failure(data.error || "");
  return data;
}

function setup(root) {
  const mode = root.dataset.passkey;
  const button = root.querySelector("[data-passkey-start]");
  const errorBox = root.querySelector("[data-passkey-error]");
  const statusBox = root.querySelector("[data-passkey-status]");
  const msg = root.dataset;
  let conditional = null;

  const showError = (text) => {
    statusBox.textContent = "";
    errorBox.textContent = text || msg.msgFailed;
    errorBox.hidden = false;
    if (button) button.disabled = false;
  };

  const finish = async (credential) => {
    const body = { credential: credentialToJSON(credential) };
    if (msg.next) body.next = msg.next;
    const result = await postJSON(msg.finishUrl, body);
    window.location.assign(result.redirect || "/home");
  };

  const explain = (error) => {
    if (error instanceof Failure) return showError(error.message);
    if (error && error.name === "InvalidStateError") return showError(msg.msgExists);
    if (error && (error.name === "NotAllowedError" || error.name === "AbortError")) return showError(msg.msgCancelled);
    return showError(msg.msgFailed);
  };

  const run = async () => {
    if (!window.PublicKeyCredential || !navigator.credentials) return showError(msg.msgUnsupported);
    if (conditional) conditional.abort();
    errorBox.hidden = true;
    statusBox.textContent = msg.msgWorking;
    button.disabled = true;
    try {
      const { publicKey } = await postJSON(msg.optionsUrl);
      const credential = mode === "register" || mode === "add"
        ? await navigator.credentials.create({ publicKey: creationOptions(publicKey) })
        : await navigator.credentials.get({ publicKey: requestOptions(publicKey) });
      await finish(credential);
    } catch (error) {
      explain(error);
    }
  };

  // Passkey autofill: the browser lists saved passkeys under the input; choosing one signs in.
  const offerAutofill = async () => {
    if (mode !== "signin" || !window.PublicKeyCredential) return;
    const check = PublicKeyCredential.isConditionalMediationAvailable;
    if (typeof check !== "function" || !(await check.call(PublicKeyCredential))) return;
    conditional = new AbortController();
    const { signal } = conditional;
    try {
      const { publicKey } = await postJSON(msg.optionsUrl);
      const credential = await navigator.credentials.get({
        publicKey: requestOptions(publicKey), mediation: "conditional", signal,
      });
      if (credential) await finish(credential);
    } catch (error) {
      // Autofill runs before the person asked for anything: stay quiet unless their pick failed.
      if (!signal.aborted && error instanceof Failure) explain(error);
    }
  };

  if (!window.PublicKeyCredential) showError(msg.msgUnsupported);
  if (button) button.addEventListener("click", run);
  offerAutofill();
}

document.querySelectorAll("[data-passkey]").forEach(setup);
