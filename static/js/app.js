// Shared page helpers: JSON calls with the CSRF header, the socket, live notifications, i18n.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const lang = document.body.dataset.lang || "zh";
  const texts = JSON.parse(document.getElementById("client-texts")?.textContent || "{}");

  // A page script's text in the user's language (catalog `client`), %(name)s filled from params.
  function t(msgid, params) {
    const text = texts[msgid] || msgid;
    return params ? text.replace(/%\((\w+)\)s/g, (all, name) => (name in params ? String(params[name]) : all)) : text;
  }

  async function api(method, path, body, headers) {
    const options = { method, credentials: "same-origin", headers: { "X-CSRFToken": csrf, ...(headers || {}) } };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    const response = await fetch(path, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((data && data.message) || response.statusText);
      error.status = response.status; error.data = data; throw error;
    }
    return data;
  }

  let socket = null;
  function connect() {
    if (socket || !document.body.dataset.userId || typeof io === "undefined") return socket;
    socket = io({ transports: ["websocket", "polling"] });
    socket.on("connect_error", () => announce(t("Connection lost, reconnecting…")));
    // Signed out elsewhere (logout, password change): the reload leads to the sign-in page.
    // ("resync", sent when the server's message queue returns after an outage, is handled by
    // the pages that keep a live record: they join again asking for what they missed.)
    socket.on("session.revoked", () => { socket.disconnect(); location.reload(); });
    return socket;
  }

  function announce(text) {
    const region = document.getElementById("live-status");
    if (region) region.textContent = text;
  }

  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
  }

  function yuan(fen) { return "¥" + (fen / 100).toFixed(2); }

  function text(el, value) { el.textContent = value == null ? "" : String(value); return el; }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    });
    children.forEach((c) => node.append(c));
    return node;
  }

  // Every stored notification is also pushed live: count it on the menu badge and say it.
  function followNotifications() {
    const badge = document.getElementById("notify-count");
    const s = connect();
    if (!s || !badge) return;
    s.onAny((event, payload) => {
      if (!payload || !payload.notification_id) return;
      badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
      announce(payload.title || event);
    });
  }

  window.App = { api, connect, announce, fmtTime, yuan, text, el, lang, csrf, t };
  document.addEventListener("DOMContentLoaded", followNotifications);
})();
