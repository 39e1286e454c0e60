// The expert room: presence, chat, raised hands, the leader's floor, and the media mesh
// (video from the bounded stage, audio from everyone). The server keeps the record.
(function () {
  "use strict";
  const root = document.getElementById("room");
  if (!root || !window.WebRTCMesh) return;
  const { connect, el } = window.App;
  const caseId = Number(root.dataset.caseId), room = "case:" + caseId;
  const selfId = Number(document.body.dataset.userId), leaderId = Number(root.dataset.leader);
  const names = Object.fromEntries(JSON.parse(root.dataset.panel).map((m) => [m.user_id, m.name]));
  const $ = (id) => document.getElementById(id);
  let state = { stage: [], queue: [], capacity: 4 }, present = [], lastId = 0, stream = null, mesh = null, socket = null;
  const tiles = new Map(); // sid -> {figure, video, userId}

  document.querySelectorAll("#chat .msg").forEach((m) => { lastId = Math.max(lastId, Number(m.dataset.id)); });
  const onStage = (userId) => state.stage.includes(userId);
  const say = (text) => { $("room-status").textContent = text; };
  const fail = (text) => { $("room-error").textContent = text ? "⚠ " + text : ""; $("room-error").hidden = !text; };

  function tile(sid, userId, mine) {
    if (tiles.has(sid)) return tiles.get(sid);
    const video = el("video", { autoplay: "", playsinline: "", "data-user": String(userId) });
    if (mine) video.muted = true;
    const figure = el("figure", { "data-sid": sid }, video, el("figcaption", { text: (names[userId] || "") + (mine ? App.t(" (me)") : "") }));
    const entry = { figure, video, userId };
    tiles.set(sid, entry);
    return entry;
  }

  function placeTiles() {
    for (const [sid, entry] of tiles) {
      const target = onStage(entry.userId) ? $("stage") : $("audience");
      if (entry.figure.parentNode !== target) target.append(entry.figure);
      if (sid !== "self") entry.video.play().catch(() => {});
    }
    $("stage-count").textContent = `${state.stage.length} / ${state.capacity}`;
  }

  function renderPeople() {
    const list = $("present"); list.textContent = "";
    for (const person of present) {
      const marks = [onStage(person.user_id) ? App.t("on stage") : App.t("audio"),
        state.queue.includes(person.user_id) ? App.t("hand raised") : ""].filter(Boolean).join(" · ");
      const item = el("li", { "data-user": String(person.user_id) }, el("span", { text: `${person.name} (${marks})` }));
      if (selfId === leaderId && person.user_id !== undefined) {
        const give = !onStage(person.user_id);
        const button = el("button", { type: "button", class: "btn", "data-floor": give ? "give" : "take", "data-user": String(person.user_id),
          text: give ? App.t("Give the floor") : App.t("Take the floor") });
        button.setAttribute("aria-label", `${give ? App.t("Give the floor") : App.t("Take the floor")}: ${person.name}`);
        button.addEventListener("click", () => floor(person.user_id, give ? "give" : "take"));
        item.append(button);
      }
      list.append(item);
    }
    $("present-count").textContent = `(${present.length})`;
    const queue = $("queue"); queue.textContent = "";
    state.queue.forEach((userId) => queue.append(el("li", { text: names[userId] || String(userId) })));
    const raised = state.queue.includes(selfId);
    $("hand").setAttribute("aria-pressed", raised ? "true" : "false");
    $("hand").textContent = raised ? App.t("Lower hand") : App.t("Raise hand");
  }

  function addMessage(m) {
    if (m.id <= lastId) return;
    lastId = m.id;
    const node = el("div", { class: "msg" + (m.user_id === selfId ? " mine" : ""), "data-id": String(m.id) },
      el("strong", { text: m.user_name || names[m.user_id] || "" }), ": " + m.text);
    $("chat").append(node);
    $("chat").scrollTop = $("chat").scrollHeight;
  }

  function applyState(next) {
    const before = new Set(state.stage);
    state = next;
    const changed = new Set([...before, ...state.stage].filter((u) => before.has(u) !== state.stage.includes(u)));
    if (changed.has(selfId)) { if (mesh) mesh.renegotiate(); }
    else if (changed.size && mesh) mesh.renegotiate((peer) => changed.has(peer.userId));
    tile("self", selfId, true).video.srcObject = stream;
    placeTiles(); renderPeople();
    say(onStage(selfId) ? App.t("You have the floor (video)") : App.t("You are listening (audio and chat)"));
  }

  function floor(userId, action) {
    socket.emit("case.floor", { case_id: caseId, user_id: userId, action }, (ack) => { if (!ack.ok) fail(ack.message || ack.error); else fail(""); });
  }

  function join() {
    socket.emit("join", { room, after: lastId }, (ack) => {
      if (!ack || !ack.ok) { fail(App.t("You cannot enter this room.")); return; }
      if (mesh) mesh.close();
      mesh = new window.WebRTCMesh.PeerMesh({
        socket, room, selfId, selfSid: () => socket.id, iceServers: [], loopbackOnly: root.dataset.loopback === "1",
        sendVideo: () => onStage(selfId),
        onTrack: (peer, remote) => { const entry = tile(peer.sid, peer.userId, false); entry.video.srcObject = remote; placeTiles(); },
        onPeerClosed: (peer) => { const entry = tiles.get(peer.sid); if (entry) { entry.figure.remove(); tiles.delete(peer.sid); } },
      });
      mesh.o.iceServers = ack.ice_servers || [];
      mesh.o.loopbackOnly = !!ack.loopback_only;
      mesh.setLocalStream(stream);
      present = ack.present; (ack.missed || []).forEach((e) => { if (e.kind === "message") addMessage(e); });
      applyState(ack.state);
      (ack.peers || []).forEach((p) => mesh.connect(p.sid, p.user_id));
    });
  }

  async function start() {
    let media = await window.WebRTCMesh.openMedia(true);
    if (!media.stream) { const audio = await window.WebRTCMesh.openMedia(false); if (audio.stream) media = audio; }
    if (media.error && !media.stream) fail(media.error);
    stream = media.stream;
    socket = connect();
    // The room's panels (opinions, materials, lecture) share this socket: see expert_panels.js.
    window.ExpertRoom = Object.assign(window.ExpertRoom || {}, { socket });
    document.dispatchEvent(new CustomEvent("expert:socket-ready", { detail: { socket, caseId } }));
    socket.on("signal", (m) => mesh && mesh.handle(m));
    socket.on("case.presence", (p) => {
      if (p.case_id !== caseId) return;
      present = p.present; renderPeople();
      if (p.action === "joined" && p.sid && mesh) mesh.connect(p.sid, p.user_id);
      App.announce(p.action === "joined" ? App.t("%(name)s joined", { name: p.name }) : App.t("%(name)s left", { name: p.name }));
    });
    socket.on("case.peer_left", (p) => { if (mesh) mesh.drop(p.sid); });
    socket.on("message", (m) => { if (m.case_id === caseId) addMessage(m); });
    socket.on("case.stage", (s) => { if (s.case_id === caseId) applyState(s); });
    socket.on("case.status", (s) => { if (s.case_id === caseId) window.location.reload(); });
    socket.on("case.opinion", (o) => { if (o.case_id === caseId) App.announce(App.t("New opinion from %(name)s", { name: o.by })); });
    socket.on("connect", join); // first connection and every reconnection: back into the room
    socket.on("resync", join); // the message queue was away: fetch what we missed
    if (socket.connected) join();
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-text");
    if (!input.value.trim()) return;
    socket.emit("message", { room: "case:" + caseId, text: input.value }, (ack) => {
      if (ack.ok) { input.value = ""; addMessage(ack.message); fail(""); } else fail(ack.message || ack.error);
    });
  });
  $("hand").addEventListener("click", () => {
    socket.emit("case.hand", { case_id: caseId, raised: !state.queue.includes(selfId) }, (ack) => { if (!ack.ok) fail(ack.message || ack.error); });
  });
  $("mute").addEventListener("click", (event) => {
    const track = stream && stream.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    event.currentTarget.setAttribute("aria-pressed", track.enabled ? "false" : "true");
    event.currentTarget.textContent = track.enabled ? App.t("Mute") : App.t("Unmute");
  });
  $("room-reconnect").addEventListener("click", () => socket.emit("leave", { room }, () => join()));
  start();

  window.ExpertRoom = { ...(window.ExpertRoom || {}), stats: () => (mesh ? mesh.stats() : Promise.resolve([])), state: () => state, present: () => present };
})();
