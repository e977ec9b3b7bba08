// Progressive enhancement only: every form works without this file.
// Reads its URLs and tokens from data-* attributes; no inline scripts anywhere (strict CSP).

// Buttons with data-confirm ask before submitting (used for destructive actions).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Copy-to-clipboard buttons (invitation links).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const target = document.getElementById(button.dataset.copy);
  if (target && navigator.clipboard) {
    await navigator.clipboard.writeText(target.textContent.trim());
    button.textContent = button.dataset.copied || button.textContent;
  }
});
