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
  let leaving = false;
  window.addEventListener("beforeunload", () => { leaving = true; });
  window.addEventListener("pageshow", () => { leaving = false; });
  function connect() {
    if (socket || !document.body.dataset.userId || typeof io === "undefined") return socket;
    socket = io({ transports: ["websocket", "polling"] });
    socket.on("connect_error", () => announce(t("Connection lost, reconnecting…")));
    // Signed out elsewhere (logout, password change): the reload leads to the sign-in page.
    // ("resync", sent when the server's message queue returns after an outage, is handled by
    // the pages that keep a live record: they join again asking for what they missed.)
    // A page that is already leaving (its own logout, password change or session form, which
    // ends this session on the server) is not reloaded: the reload would cancel that navigation.
    socket.on("session.revoked", () => { socket.disconnect(); if (!leaving) location.reload(); });
    return socket;
  }

  function announce(text) {
    const region = document.getElementById("live-status");
    if (region) region.textContent = text;
  }

  // Times as people read them: day and hour, never seconds, in the hospital's time zone (a shift
  // that ends at 08:00 in Beijing reads 08:00 whatever zone the browser is set to).
  const timeZone = document.body.dataset.timezone || undefined;
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  const dayAndHour = new Intl.DateTimeFormat(locale,
    { timeZone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const hourOnly = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const monthDay = new Intl.DateTimeFormat("en-US", { timeZone, month: "numeric", day: "numeric" });

  function fmtTime(iso) {
    if (!iso) return "";
    return dayAndHour.format(new Date(iso));
  }

  function fmtHour(iso) {
    if (!iso) return "";
    return hourOnly.format(new Date(iso));
  }

  // "3/14" (a chart's axis): the day in the hospital's zone.
  function fmtMonthDay(when) {
    const parts = Object.fromEntries(monthDay.formatToParts(new Date(when)).map((p) => [p.type, p.value]));
    return parts.month + "/" + parts.day;
  }

  // "12月3日" / "12/3": a day in words, in the hospital's zone.
  function fmtDay(when) {
    const [month, day] = fmtMonthDay(when).split("/");
    return t("%(month)s/%(day)s", { month, day });
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

  // Every stored notification is also pushed live with its words (`notice`): count it on the menu
  // badge and show it as a card at the top of the page, with a link to what it is about. The event
  // name itself is never shown.
  // One card per thing: a newer notice about the same order replaces the older one (a delivery's
  // steps do not pile up), and none is shown about the page being read, which updates itself.
  function showNotice(notice) {
    const box = document.getElementById("toasts");
    if (!box) return;
    if (notice.url && notice.url === window.location.pathname && !notice.action_url) return;
    box.querySelectorAll(".toast").forEach((old) => { if (notice.url && old.dataset.url === notice.url) old.remove(); });
    const card = el("div", { class: "toast card" }, el("strong", { class: "toast-title", text: notice.title }));
    if (notice.url) card.dataset.url = notice.url;
    if (notice.body) card.append(el("p", { text: notice.body }));
    const actions = el("div", { class: "actions" });
    if (notice.action_url) actions.append(el("a", { class: "btn primary big", href: notice.action_url, text: notice.action_label }));
    if (notice.url) actions.append(el("a", { class: "btn", href: notice.url, text: t("View") }));
    const close = el("button", { type: "button", class: "btn", text: t("Got it") });
    close.addEventListener("click", () => card.remove());
    actions.append(close);
    card.append(actions);
    box.prepend(card);
    while (box.children.length > 3) box.lastElementChild.remove();
  }

  function followNotifications() {
    const badge = document.getElementById("notify-count");
    const words = document.getElementById("notify-count-words");
    const s = connect();
    if (!s || !badge) return;
    s.onAny((event, payload) => {
      if (!payload || !payload.notification_id) return;
      const count = (parseInt(badge.textContent, 10) || 0) + 1;
      badge.textContent = String(count);
      if (words) words.textContent = t("%(n)s unread", { n: count });
      const notice = payload.notice || { title: t("New notification"), body: "", url: "/notifications" };
      showNotice(notice);
      announce(notice.title);
    });
  }

  // A file field speaks the page's language: the browser's own button says "Choose Files / No file
  // chosen" in the browser's language, whatever the page's. The input stays (its label, keyboard
  // focus and form submission are unchanged); only its face is replaced by a button and a line.
  function localiseFileFields() {
    document.querySelectorAll('input[type="file"]:not(.visually-hidden)').forEach((input) => {
      const many = input.multiple;
      const chosen = el("span", { class: "file-chosen muted", "aria-live": "polite", text: t("No file chosen") });
      const button = el("button", { type: "button", class: "btn file-choose", "aria-hidden": "true", tabindex: "-1",
        text: many ? t("Choose files") : t("Choose a file") });
      button.addEventListener("click", () => input.click());
      input.classList.add("file-native");
      const show = () => {
        const names = [...input.files].map((f) => f.name);
        chosen.textContent = names.length ? names.join(", ") : t("No file chosen");
      };
      input.addEventListener("change", show);
      // A form reset (after an upload) empties the input without a change event.
      if (input.form) input.form.addEventListener("reset", () => setTimeout(show));
      input.after(el("span", { class: "file-field" }, button, chosen));
    });
  }

  window.App = { api, connect, announce, fmtTime, fmtHour, fmtMonthDay, fmtDay, yuan, text, el, lang, csrf, t };

  // Sending chat, shared by the consultation page and the shift desk. A message carries an id made
  // here, so that sending it again (the socket's answer was lost, then REST) stores it only once.
  function newClientId() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).slice(0, 64);
  }

  // The server's acknowledgement of an event; null when the socket is down or silent for `ms`.
  async function emitWithAck(socket, event, payload, ms = 5000) {
    if (!socket || !socket.connected) return null;
    try { return await socket.timeout(ms).emitWithAck(event, payload); }
    catch (err) { return null; }
  }

  // A chat message over the socket, else over REST with the same client id (a late socket delivery
  // is not doubled). Returns the stored message; throws the server's refusal.
  async function sendChatMessage(socket, consultationId, text) {
    const clientId = newClientId();
    const answer = await emitWithAck(socket, "message", { consultation_id: consultationId, text, client_id: clientId });
    if (answer && answer.ok) return answer.message;
    if (answer) throw new Error(answer.message || answer.error);
    return api("POST", `/api/consultations/${consultationId}/messages`, { text, client_id: clientId });
  }
  Object.assign(window.App, { newClientId, emitWithAck, sendChatMessage });
  document.addEventListener("DOMContentLoaded", followNotifications);
  document.addEventListener("DOMContentLoaded", localiseFileFields);
})();
