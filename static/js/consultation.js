// The consultation page: live chat (store-then-broadcast with seq), typing, read receipts,
// images, live status changes, and the prescription panel (signed, reviewed) swapped in place. Messages already on the page are the server's; the socket
// join asks for everything after the last seq shown, so a reconnect fills the gap in order.
(function () {
  "use strict";
  const section = document.getElementById("chat-section");
  if (!section || !window.App) return;
  const { api, connect, el, announce } = window.App;
  const cid = Number(section.dataset.consultationId);
  const me = Number(document.body.dataset.userId);
  const list = document.getElementById("messages");
  const form = document.getElementById("chat-form");
  const textBox = document.getElementById("chat-text");
  const errorBox = document.getElementById("chat-error");
  const typingBox = document.getElementById("typing");
  const readBox = document.getElementById("read-state");
  const room = "consultation:" + cid;
  let lastSeq = Number(section.dataset.lastSeq || 0);
  let typingTimer = null;
  let lastTypingSent = 0;
  const seen = new Set(Array.from(list.querySelectorAll("[data-seq]")).map((li) => Number(li.dataset.seq)));

  function render(m) {
    if (seen.has(m.seq)) return;
    seen.add(m.seq);
    const mine = m.sender_id === me;
    const who = m.sender_name || App.t("System");
    const time = App.fmtHour(m.created_at); // the hospital's hour, whatever offset the time carries
    const li = el("li", { class: "msg" + (mine ? " mine" : "") + (m.kind === "system" ? " system" : ""), "data-seq": String(m.seq) },
      el("span", { class: "meta", text: who + " · " + time }), " ");
    if (m.attachment_url) {
      const img = el("img", { src: m.attachment_url, class: "chat-img", alt: App.t("Image sent by %(name)s", { name: who }) });
      li.append(el("a", { href: m.attachment_url, target: "_blank", rel: "noopener" }, img));
    } else {
      li.append(el("span", { class: "text", text: m.text }));
    }
    // Keep the order by seq even when a late message arrives.
    const after = Array.from(list.children).find((node) => Number(node.dataset.seq) > m.seq);
    list.insertBefore(li, after || null);
    lastSeq = Math.max(lastSeq, m.seq);
    list.scrollTop = list.scrollHeight;
    if (!mine) markRead();
  }

  let readPending = null;
  function markRead() {
    if (readPending || !socket) return;
    readPending = setTimeout(() => { readPending = null; socket.emit("read", { consultation_id: cid, seq: lastSeq }); }, 300);
  }

  const socket = connect();
  if (socket) {
    const join = () => socket.emit("join", { room, since: lastSeq }, (answer) => {
      if (!answer || !answer.ok) return;
      // A signature or review may have passed between the page's rendering (or a disconnect)
      // and this join: the panel is fetched once now, then follows the room's events.
      refreshPrescriptions();
      (answer.messages || []).forEach(render);
      showReads(answer.reads || {});
      if (answer.status && answer.status !== document.querySelector("#status-label [data-status]")?.dataset.status) {
        location.reload();
      }
      markRead();
    });
    socket.on("connect", join);
    socket.on("resync", join); // the message queue was away: fetch what we missed, by seq
    if (socket.connected) join();
    socket.on("message", (m) => { if (m.consultation_id === cid) render(m); });
    socket.on("typing", (t) => {
      if (t.consultation_id !== cid || t.user_id === me) return;
      typingBox.textContent = t.typing ? section.dataset.typingLabel.replace("{name}", t.name) : "";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingBox.textContent = ""; }, 4000);
    });
    socket.on("consultation.read", (r) => { if (r.consultation_id === cid) showReads({ [r.user_id]: r.seq }); });
    socket.on("consultation.prescription", (rx) => {
      if (rx.consultation_id !== cid) return;
      refreshPrescriptions().then(() => announce(App.t("The prescription of this consultation was updated.")));
    });
    socket.on("consultation.status", (s) => {
      if (s.consultation_id !== cid) return;
      announce(App.t("The consultation changed"));
      setTimeout(() => location.reload(), 400);
    });
  }

  // The server renders the panel (same words and buttons as on a full load); only it is replaced.
  async function refreshPrescriptions() {
    const panel = document.getElementById("rx-panel");
    if (!panel || !panel.dataset.src) return;
    const response = await fetch(panel.dataset.src, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("rx-panel");
    if (fresh) panel.replaceWith(fresh);
  }

  function showReads(reads) {
    if (!readBox) return;
    const other = Object.entries(reads).filter(([uid]) => Number(uid) !== me).map(([, seq]) => seq);
    if (!other.length) return;
    const upTo = Math.max(...other);
    list.querySelectorAll("li.mine").forEach((li) => {
      if (Number(li.dataset.seq) <= upTo && !li.querySelector(".read-mark")) {
        li.querySelector(".meta").append(el("span", { class: "read-mark", text: " · " + section.dataset.peerLabel }));
      }
    });
  }

  async function send(text) {
    errorBox.textContent = "";
    render(await App.sendChatMessage(socket, cid, text));
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = textBox.value.trim();
      if (!text) { errorBox.textContent = App.t("Type a message first."); return; }
      try { await send(text); textBox.value = ""; textBox.focus(); }
      catch (err) { errorBox.textContent = "⚠ " + (err.message || err); }
    });
    textBox.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
    textBox.addEventListener("input", () => {
      if (socket && Date.now() - lastTypingSent > 2000) {
        lastTypingSent = Date.now();
        socket.emit("typing", { consultation_id: cid, typing: true });
      }
    });
    const picker = document.getElementById("chat-image");
    picker.addEventListener("change", async () => {
      const file = picker.files[0];
      if (!file) return;
      const body = new FormData();
      body.append("file", file);
      body.append("client_id", App.newClientId());
      errorBox.textContent = App.t("Uploading…");
      try { render(await api("POST", `/api/consultations/${cid}/images`, body)); errorBox.textContent = ""; }
      catch (err) { errorBox.textContent = "⚠ " + (err.message || err); }
      picker.value = "";
    });
  }
  list.scrollTop = list.scrollHeight;
})();
