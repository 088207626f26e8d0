// Results page: while the action is live, refresh every figure in place from the results
// API (CONTRACT §3 shape) every few seconds, without reloading the page.
(function () {
  "use strict";
  const root = document.getElementById("results");
  if (!root || root.dataset.live !== "true") return;
  const url = root.dataset.resultsUrl;
  const every = Number(root.dataset.interval) || 5000;
  const labelsNode = document.getElementById("error-class-labels");
  const classLabels = labelsNode ? JSON.parse(labelsNode.textContent) : {};
  const indicator = document.getElementById("live-indicator");

  // Same format as the server's `percent` filter.
  const percent = (fraction) => (fraction * 100).toFixed(1) + "%";

  function cell(text, numeric) {
    const td = document.createElement("td");
    td.textContent = text;
    if (numeric) td.className = "num";
    return td;
  }

  function renderErrors(errors) {
    const table = document.getElementById("errors-table");
    const empty = document.getElementById("errors-empty");
    if (!table) return;
    const body = table.tBodies[0];
    body.replaceChildren(
      ...errors.map((e) => {
        const tr = document.createElement("tr");
        tr.dataset.error = e.code;
        tr.append(cell(String(e.code)), cell(e.name), cell(classLabels[e.class] || e.class), cell(P2P.number(e.count), true));
        return tr;
      })
    );
    table.hidden = errors.length === 0;
    if (empty) empty.hidden = errors.length !== 0;
  }

  function render(data) {
    const figures = Object.assign({}, data.overview, data.message_performance);
    root.querySelectorAll("[data-metric]").forEach((el) => {
      const key = el.dataset.metric;
      if (key in figures) el.textContent = P2P.number(figures[key]);
    });
    root.querySelectorAll("[data-rate]").forEach((el) => {
      const key = el.dataset.rate;
      if (key in data.rates) el.textContent = percent(data.rates[key]);
    });
    renderErrors(data.errors);
    root.dataset.refreshedAt = new Date().toISOString();
  }

  async function tick() {
    if (!document.hidden) {
      try {
        render(await P2P.getJSON(url));
        if (indicator) indicator.classList.remove("stale");
      } catch (err) {
        // Keep the last figures on screen and try again at the next tick.
        if (indicator) indicator.classList.add("stale");
      }
    }
    setTimeout(tick, every);
  }
  setTimeout(tick, every);
})();
