// User Engagement section of the results page: the table (from the engagement API), the
// filters (kept in the page's URL so a filtered view can be shared), bulk actions with a
// progress bar, and the row menu's "Re-assign contacts" with a preview and an undo log.
(function () {
  "use strict";
  const root = document.getElementById("user-engagement");
  if (!root) return;
  const api = root.dataset.api;
  const form = root.querySelector("#eng-filters");
  const tbody = root.querySelector("#eng-table tbody");
  const menu = root.querySelector("#eng-row-menu");
  const PAGE_SIZE = 25;
  // The page's own parameters for the table; the filter names are the API's.
  const ORDER_PARAM = "eng_ordering";
  const PAGE_PARAM = "eng_page";
  const NUMERIC = ["performs", "held", "initial_messages", "remaining", "responses", "follow_ups", "needs_attention", "opt_outs", "reports"];
  const pageParams = new URLSearchParams(location.search);
  const state = {
    ordering: pageParams.get(ORDER_PARAM) || "name",
    page: Number(pageParams.get(PAGE_PARAM)) || 1,
    count: 0,
    rows: new Map(),
  };

  const $ = (sel) => root.querySelector(sel);
  const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  function filterParams() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (value !== "") params.append(name, value);
    }
    return params;
  }

  // The filters as the bulk API takes them: {name: value or [values]}.
  function filterObject() {
    const out = {};
    for (const [name, value] of filterParams()) {
      if (name in out) out[name] = [].concat(out[name], value);
      else out[name] = form.elements[name] && form.elements[name].multiple ? [value] : value;
    }
    return out;
  }

  function shareUrl() {
    const url = new URL(location.href);
    const names = new Set([...Array.from(form.elements).map((e) => e.name).filter(Boolean), ORDER_PARAM, PAGE_PARAM]);
    names.forEach((n) => url.searchParams.delete(n));
    for (const [name, value] of filterParams()) url.searchParams.append(name, value);
    if (state.ordering !== "name") url.searchParams.set(ORDER_PARAM, state.ordering);
    if (state.page > 1) url.searchParams.set(PAGE_PARAM, state.page);
    history.replaceState(null, "", url);
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    if (seconds < 60) return Math.round(seconds) + "s";
    if (seconds < 3600) return Math.round(seconds / 60) + "m";
    if (seconds < 86400) return (seconds / 3600).toFixed(1) + "h";
    return (seconds / 86400).toFixed(1) + "d";
  }

  function when(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    return d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function renderRows(rows) {
    state.rows = new Map(rows.map((r) => [String(r.user_id), r]));
    tbody.innerHTML = rows.length
      ? rows
          .map(
            (r) => `<tr data-user="${r.user_id}">
        <td title="${esc(r.email)}"><div class="eng-name">${esc(r.name || r.email)}</div><div class="muted eng-email">${esc(r.email)}</div></td>
        <td><span class="badge eng-status-${esc(r.status)}">${esc(r.status)}</span></td>
        ${NUMERIC.map((k) => `<td class="num" data-col="${k}">${P2P.number(r[k])}</td>`).join("")}
        <td class="num" data-col="median_answer_seconds" title="${r.answered} replies answered">${duration(r.median_answer_seconds)}</td>
        <td data-col="last_active">${when(r.last_active)}</td>
        <td><button type="button" class="eng-dots" aria-haspopup="menu" aria-label="Actions for ${esc(r.email)}">⋮</button></td>
      </tr>`
          )
          .join("")
      : `<tr><td colspan="15" class="muted">No users match these filters.</td></tr>`;
  }

  function showErrors(data) {
    const box = $("[data-eng-errors]");
    const parts = Object.entries(data || {}).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
    box.textContent = parts.join("; ");
    box.hidden = parts.length === 0;
  }

  async function load() {
    const params = filterParams();
    params.set("ordering", state.ordering);
    params.set("page", state.page);
    params.set("page_size", PAGE_SIZE);
    const r = await fetch(`${api}engagement/?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      showErrors(data);
      return;
    }
    showErrors(null);
    state.count = data.count;
    root.querySelectorAll("[data-eng-count], [data-eng-total]").forEach((n) => (n.textContent = P2P.number(data.count)));
    $("[data-eng-count-label]").textContent = data.count === 1 ? "user matches these filters" : "users match these filters";
    $("[data-eng-total-label]").textContent = data.count === 1 ? "user" : "users";
    $("[data-eng-sorted]").textContent = state.ordering.replace(/^-/, "") + (state.ordering.startsWith("-") ? " ↓" : " ↑");
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    $("[data-eng-page-label]").textContent = `Page ${state.page} of ${pages}`;
    $('[data-eng-page="prev"]').disabled = !data.previous;
    $('[data-eng-page="next"]').disabled = !data.next;
    root.querySelectorAll(".eng-sort").forEach((b) => {
      const key = b.dataset.sort;
      b.dataset.dir = state.ordering === key ? "asc" : state.ordering === "-" + key ? "desc" : "";
    });
    renderRows(data.results);
  }

  // --- filters, sorting, paging --------------------------------------------------------

  $(".eng-filters-toggle").addEventListener("click", (e) => {
    form.hidden = !form.hidden;
    e.currentTarget.setAttribute("aria-expanded", String(!form.hidden));
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    state.page = 1;
    shareUrl();
    load();
  });
  $("[data-eng-clear]").addEventListener("click", () => {
    form.querySelectorAll("input[type=checkbox]").forEach((i) => (i.checked = false));
    form.querySelectorAll("input[type=text], input[type=number]").forEach((i) => (i.value = ""));
    form.querySelectorAll("select").forEach((s) => Array.from(s.options).forEach((o) => (o.selected = s.name === "received" && o.value === root.dataset.action)));
  });
  root.querySelectorAll(".eng-sort").forEach((b) =>
    b.addEventListener("click", () => {
      const key = b.dataset.sort;
      state.ordering = state.ordering === key ? "-" + key : key;
      state.page = 1;
      shareUrl();
      load();
    })
  );
  root.querySelectorAll("[data-eng-page]").forEach((b) =>
    b.addEventListener("click", () => {
      state.page += b.dataset.engPage === "next" ? 1 : -1;
      shareUrl();
      load();
    })
  );

  // --- row menu and re-assignment ----------------------------------------------------

  const reassign = $("#eng-reassign-dialog");
  const reassignForm = reassign.querySelector("form");
  let fromUser = null;
  let volunteers = null;

  tbody.addEventListener("click", (e) => {
    const button = e.target.closest(".eng-dots");
    if (!button) return;
    e.stopPropagation();
    fromUser = state.rows.get(button.closest("tr").dataset.user);
    const box = button.getBoundingClientRect();
    const parent = root.getBoundingClientRect();
    menu.style.top = `${box.bottom - parent.top + 4}px`;
    menu.style.left = `${box.right - parent.left - 180}px`;
    menu.hidden = false;
    menu.querySelector("button").focus();
  });
  document.addEventListener("click", (e) => {
    if (!menu.contains(e.target)) menu.hidden = true;
  });

  function reassignBody() {
    const data = new FormData(reassignForm);
    const body = {
      from_user: fromUser.user_id,
      to_users: Array.from(reassignForm.elements.to_users.selectedOptions).map((o) => Number(o.value)),
      scope: data.get("scope"),
    };
    if (data.get("tag")) body.tags = [data.get("tag")];
    if (data.get("error_code")) body.error_codes = [Number(data.get("error_code"))];
    if (data.get("attention_hours")) body.attention_hours = Number(data.get("attention_hours"));
    return body;
  }

  function reassignError(err) {
    const box = reassign.querySelector("[data-eng-reassign-error]");
    box.textContent = err ? (err.data ? Object.entries(err.data).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ") : String(err)) : "";
    box.hidden = !err;
  }

  menu.querySelector("[data-eng-reassign]").addEventListener("click", async () => {
    menu.hidden = true;
    reassign.querySelector("[data-eng-from-name]").textContent = fromUser.name || fromUser.email;
    reassign.querySelector("[data-eng-preview]").textContent = "";
    reassign.querySelector("[data-eng-confirm]").disabled = true;
    reassignError(null);
    if (!volunteers) volunteers = (await P2P.getJSON(root.dataset.volunteers)).results;
    reassignForm.elements.to_users.innerHTML = volunteers
      .filter((v) => v.id !== fromUser.user_id)
      .map((v) => `<option value="${v.id}">${esc(`${v.first_name} ${v.last_name}`.trim() || v.email)} · ${esc(v.email)}</option>`)
      .join("");
    reassign.showModal();
  });
  reassignForm.addEventListener("change", () => (reassign.querySelector("[data-eng-confirm]").disabled = true));

  reassign.querySelector("[data-eng-preview-button]").addEventListener("click", async () => {
    reassignError(null);
    try {
      const p = await P2P.postJSON(`${api}reassignments/preview/`, reassignBody());
      const names = new Map(volunteers.map((v) => [v.id, `${v.first_name} ${v.last_name}`.trim() || v.email]));
      const split = p.by_target.map((t) => `${P2P.number(t.count)} to ${names.get(t.user_id)}`).join(", ");
      reassign.querySelector("[data-eng-preview]").textContent = `${P2P.number(p.matching)} conversations will move${p.matching ? ": " + split : ""}.`;
      reassign.querySelector("[data-eng-confirm]").disabled = p.matching === 0;
    } catch (err) {
      reassignError(err);
    }
  });

  reassign.querySelector("[data-eng-confirm]").addEventListener("click", async (e) => {
    e.currentTarget.disabled = true;
    try {
      const done = await P2P.postJSON(`${api}reassignments/`, reassignBody());
      reassign.querySelector("[data-eng-preview]").textContent = `Moved ${P2P.number(done.moved)} conversations.`;
      load();
      loadAudit();
    } catch (err) {
      reassignError(err);
    }
  });

  // --- bulk actions --------------------------------------------------------------------

  const bulk = $("#eng-bulk-dialog");
  const bulkForm = bulk.querySelector("form");
  const TITLES = { push: "Send Push Notification", email: "Send Email", inbox: "Send Message", send_action: "Send Action" };
  let bulkKind = null;

  root.querySelectorAll("[data-bulk]").forEach((b) =>
    b.addEventListener("click", () => {
      bulkKind = b.dataset.bulk;
      bulk.querySelector("[data-eng-bulk-title]").textContent = TITLES[bulkKind];
      bulk.querySelector("[data-eng-bulk-count]").textContent = `${P2P.number(state.count)} ${state.count === 1 ? "user" : "users"}`;
      bulkForm.querySelectorAll("label[data-for]").forEach((l) => (l.hidden = !l.dataset.for.split(" ").includes(bulkKind)));
      bulk.querySelector("[data-eng-progress]").hidden = true;
      bulk.querySelector("[data-eng-bulk-status]").textContent = "";
      bulk.querySelector("[data-eng-failures]").innerHTML = "";
      bulk.querySelector("[data-eng-bulk-error]").hidden = true;
      bulk.querySelector("[data-eng-bulk-send]").disabled = false;
      bulk.showModal();
    })
  );

  function showJob(job) {
    const bar = bulk.querySelector("[data-eng-progress]");
    bar.hidden = false;
    bar.value = job.progress;
    const status = bulk.querySelector("[data-eng-bulk-status]");
    status.textContent =
      job.status === "done"
        ? `Done: ${P2P.number(job.succeeded)} sent, ${P2P.number(job.failed)} failed.`
        : job.status === "failed"
          ? `Stopped: ${job.error}`
          : `Sending… ${P2P.number(job.processed)} of ${P2P.number(job.total)}`;
    bulk.querySelector("[data-eng-failures]").innerHTML = (job.failures || [])
      .map((f) => `<li>${esc(f.email || f.user_id)}: ${esc(f.error)}</li>`)
      .join("");
  }

  async function follow(url) {
    for (;;) {
      const job = await P2P.getJSON(url);
      showJob(job);
      if (job.status === "done" || job.status === "failed") return loadAudit();
      await new Promise((r) => setTimeout(r, 700));
    }
  }

  bulk.querySelector("[data-eng-bulk-send]").addEventListener("click", async (e) => {
    const data = new FormData(bulkForm);
    const body = { kind: bulkKind, filters: filterObject() };
    for (const name of ["title", "subject", "body"]) if (data.get(name)) body[name] = data.get(name);
    if (bulkKind === "send_action") body.target_action = Number(data.get("target_action"));
    const errorBox = bulk.querySelector("[data-eng-bulk-error]");
    errorBox.hidden = true;
    e.currentTarget.disabled = true;
    try {
      const job = await P2P.postJSON(`${api}engagement/bulk/`, body);
      showJob(job);
      await follow(job.url);
    } catch (err) {
      errorBox.textContent = err.data ? Object.entries(err.data).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join("; ") : String(err);
      errorBox.hidden = false;
      e.currentTarget.disabled = false;
    }
  });

  // --- the log of re-assignments (with undo) and bulk actions ---------------------------

  const SCOPES = { all: "all contacts", needs_attention: "needs-attention contacts", unsent: "unsent contacts" };

  async function loadAudit() {
    const [moves, jobs] = await Promise.all([P2P.getJSON(`${api}reassignments/?page_size=20`), P2P.getJSON(`${api}engagement/bulk/?page_size=20`)]);
    const items = [
      ...moves.results.map((m) => ({
        at: m.created_at,
        what: `Re-assigned ${SCOPES[m.scope]} of ${m.from_user_name} to ${m.to_user_names.join(", ")}` + (m.undone_at ? ` · undone (${m.undone_moved} moved back)` : ""),
        count: m.moved,
        undo: m.undo_url,
      })),
      ...jobs.results.map((j) => ({ at: j.created_at, what: `${TITLES[j.kind]} · ${j.status}${j.failed ? ` · ${j.failed} failed` : ""}`, count: j.total })),
    ].sort((a, b) => (a.at < b.at ? 1 : -1));
    $("[data-eng-audit]").innerHTML = items
      .map(
        (i) => `<tr><td>${when(i.at)}</td><td>${esc(i.what)}</td><td class="num">${P2P.number(i.count)}</td>
        <td>${i.undo ? `<button type="button" data-undo="${esc(i.undo)}">Undo</button>` : ""}</td></tr>`
      )
      .join("");
  }

  $("[data-eng-audit]").addEventListener("click", async (e) => {
    const button = e.target.closest("[data-undo]");
    if (!button) return;
    button.disabled = true;
    await P2P.postJSON(button.dataset.undo).catch(() => null);
    load();
    loadAudit();
  });

  load();
  loadAudit();
})();
