// Watch-over pages: upload progress for large CSV files (the form works without this file).
for (const form of document.querySelectorAll("form[data-progress]")) {
  const bar = document.getElementById(form.dataset.progress);
  if (!bar) continue;
  form.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]");
    if (!file || !file.files.length || file.files[0].size < 512 * 1024) return; // small files: plain POST
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    bar.hidden = false;
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100); });
    xhr.addEventListener("load", () => {
      // Show the report (the answer's <main>) in place; the page keeps its own scripts and nonce.
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const main = doc.querySelector("main");
      if (main) document.querySelector("main").replaceChildren(...main.childNodes);
    });
    xhr.open("POST", form.action);
    xhr.send(new FormData(form));
  });
}
