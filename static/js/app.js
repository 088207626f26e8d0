// Small shared helpers for server-rendered pages (no build step, no CDN).
window.P2P = {
  csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  },
  async getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(url + " answered " + r.status);
    return r.json();
  },
  async postJSON(url, body) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": P2P.csrf() },
      body: JSON.stringify(body || {}),
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw Object.assign(new Error(JSON.stringify(data)), { status: r.status, data });
    return data;
  },
  number(n) { return Number(n).toLocaleString("en-US"); },
};
