// Export list: one click per kind and format. A small export comes back as the file at once;
// a big one answers 202 with a job, whose progress bar is polled here until its file is
// ready, then downloaded. Without JavaScript the same links work as plain page links.
(function () {
  "use strict";
  const section = document.getElementById("exports");
  if (!section || !section.dataset.exportsPanel) return;
  const body = section.querySelector(".exports-body");
  const started = new Set(); // jobs this page asked for: download them when they finish
  const polling = new Set();
  const POLL_MS = 1000;

  function say(text) {
    const el = section.querySelector(".exports-message");
    if (el) el.textContent = text;
  }

  async function loadPanel() {
    const r = await fetch(section.dataset.exportsPanel, { credentials: "same-origin" });
    if (!r.ok) throw new Error("the export list answered " + r.status);
    body.innerHTML = await r.text();
    pollActive();
  }

  function filenameOf(response, fallback) {
    const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(response.headers.get("Content-Disposition") || "");
    return m ? decodeURIComponent(m[1]) : fallback;
  }

  function save(url, filename) {
    const a = document.createElement("a");
    a.href = url;
    if (filename) a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
  }

  async function requestExport(link) {
    say("Preparing " + link.textContent.trim() + "…");
    const r = await fetch(link.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (r.status === 202) {
      const path = new URL((await r.json()).job, location.href).pathname;
      started.add(path);
      say("This export is big: it is being built in the background (see the history below).");
      await loadPanel();
      watch(path);
      return;
    }
    if (!r.ok) {
      const data = await r.json().catch(() => ({}));
      throw new Error(data.detail || "the export answered " + r.status);
    }
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    save(url, filenameOf(r, "export"));
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    say("");
  }

  function showProgress(job, path) {
    const row = section.querySelector('tr[data-job-url="' + CSS.escape(path) + '"]');
    if (!row) return;
    const bar = row.querySelector("progress");
    if (bar) bar.value = job.progress;
    const status = row.querySelector(".job-status");
    if (status) status.textContent = job.status;
    row.dataset.status = job.status;
  }

  async function poll(path) {
    try {
      const job = await P2P.getJSON(path);
      showProgress(job, path);
      if (job.status === "pending" || job.status === "running") {
        setTimeout(() => poll(path), POLL_MS);
        return;
      }
      polling.delete(path);
      if (job.status === "done" && job.download && started.delete(path)) {
        save(job.download);
        say("Your export is ready: the download has started.");
      }
      if (job.status === "failed") say("An export failed: " + (job.error || "unknown error"));
      await loadPanel();
    } catch (err) {
      setTimeout(() => poll(path), POLL_MS * 5);
    }
  }

  function watch(path) {
    if (polling.has(path)) return;
    polling.add(path);
    poll(path);
  }

  function pollActive() {
    section
      .querySelectorAll('tr[data-job-url][data-status="pending"], tr[data-job-url][data-status="running"]')
      .forEach((row) => watch(row.dataset.jobUrl));
  }

  section.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-export]");
    if (!link || !window.fetch) return;
    event.preventDefault();
    requestExport(link).catch((err) => say("The export could not start: " + err.message));
  });

  if (section.querySelector(".exports-list")) pollActive();
  else loadPanel().catch(() => {});
})();
