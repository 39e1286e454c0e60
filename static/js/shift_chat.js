// The shift desk's conversation column: the open consultation's history and live chat over the
// consultation room (the same `join` / `message` / `typing` events as the consultation page),
// images, Ctrl+Enter to send. Switching patients leaves one room and joins the next.
(function () {
  "use strict";
  const form = document.getElementById("chat-form");
  if (!form || !window.App) return;
  const { api, el } = window.App;
  const me = Number(document.body.dataset.userId);
  const list = document.getElementById("messages");
  const textBox = document.getElementById("chat-text");
  const errorBox = document.getElementById("chat-error");
  const typingBox = document.getElementById("typing");
  const socket = App.connect();
  let cid = null, room = null, lastSeq = 0, seen = new Set(), lastTypingSent = 0, typingTimer = null;

  function render(m) {
    if (m.consultation_id !== undefined && m.consultation_id !== cid) return;
    if (seen.has(m.seq)) return;
    seen.add(m.seq);
    const mine = m.sender_id === me;
    const who = m.sender_name || App.t("System");
    const li = el("li", { class: "msg" + (mine ? " mine" : "") + (m.kind === "system" ? " system" : ""), "data-seq": String(m.seq) },
      el("span", { class: "meta", text: who + " · " + App.fmtHour(m.created_at) }), " ");
    if (m.attachment_url) {
      const img = el("img", { src: m.attachment_url, class: "chat-img", alt: App.t("Image sent by %(name)s", { name: who }) });
      li.append(el("a", { href: m.attachment_url, target: "_blank", rel: "noopener" }, img));
    } else li.append(el("span", { class: "text", text: m.text }));
    const after = Array.from(list.children).find((node) => Number(node.dataset.seq) > m.seq);
    list.insertBefore(li, after || null);
    lastSeq = Math.max(lastSeq, m.seq);
    list.scrollTop = list.scrollHeight;
    if (!mine && socket) socket.emit("read", { consultation_id: cid, seq: lastSeq });
  }

  function join() {
    if (!socket || !room) return;
    const asked = cid;
    socket.emit("join", { room, since: lastSeq }, (answer) => {
      if (asked === cid && answer && answer.ok) (answer.messages || []).forEach(render);
    });
  }

  async function open(consultation, writable) {
    if (room && socket) socket.emit("leave", { room });
    cid = consultation.id; room = "consultation:" + cid; lastSeq = 0; seen = new Set();
    list.replaceChildren();
    errorBox.textContent = ""; typingBox.textContent = "";
    form.hidden = !writable;
    const history = await api("GET", `/api/consultations/${cid}/messages`);
    if (consultation.id === cid) history.forEach(render);
    join();
  }

  function close() {
    if (room && socket) socket.emit("leave", { room });
    cid = null; room = null; form.hidden = true; list.replaceChildren();
  }

  if (socket) {
    socket.on("connect", join);
    socket.on("resync", join);
    socket.on("message", render);
    socket.on("typing", (t) => {
      if (t.consultation_id !== cid || t.user_id === me) return;
      typingBox.textContent = t.typing ? App.t("%(name)s is typing…", { name: t.name }) : "";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingBox.textContent = ""; }, 4000);
    });
  }

  async function send(text) {
    render(await App.sendChatMessage(socket, cid, text));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textBox.value.trim();
    errorBox.textContent = "";
    if (!text) { errorBox.textContent = App.t("Type a message first."); return; }
    try { await send(text); textBox.value = ""; textBox.focus(); }
    catch (err) { errorBox.textContent = "⚠ " + (err.message || err); }
  });
  // Ctrl+Enter sends (a plain Enter is a new line: doctors write several lines of advice).
  textBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  textBox.addEventListener("input", () => {
    if (socket && cid && Date.now() - lastTypingSent > 2000) {
      lastTypingSent = Date.now();
      socket.emit("typing", { consultation_id: cid, typing: true });
    }
  });
  const picker = document.getElementById("chat-image");
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    if (!file || !cid) return;
    const body = new FormData();
    body.append("file", file);
    body.append("client_id", App.newClientId());
    errorBox.textContent = App.t("Uploading…");
    try { render(await api("POST", `/api/consultations/${cid}/images`, body)); errorBox.textContent = ""; }
    catch (err) { errorBox.textContent = "⚠ " + (err.message || err); }
    picker.value = "";
  });

  window.ShiftChat = { open, close, current: () => cid };
})();
