// The expert room page: presence, chat, raised hands, the leader's floor, the panel (withdraw an
// invitation), and the meeting's media — through Janus (expert_media.js) when the server offers
// it, else the browser mesh (webrtc.js) with a notice. Nothing here reloads the page.
(function () {
  "use strict";
  const { connect, el } = window.App;
  const $ = (id) => document.getElementById(id);

  // The leader withdraws an invitation (any time the case is open): the line changes in place.
  document.querySelectorAll("[data-withdraw]").forEach((button) => {
    button.addEventListener("click", async () => {
      const error = $("panel-error");
      try {
        await App.api("POST", `/api/expert-cases/${button.dataset.case}/invitations/${button.dataset.withdraw}/withdraw`);
        const item = button.closest("li");
        item.querySelector(".invitation-status").textContent = App.t("withdrawn");
        button.remove();
        error.hidden = true;
        App.announce(App.t("Invitation withdrawn"));
      } catch (err) {
        error.textContent = "⚠ " + err.message; error.hidden = false;
      }
    });
  });

  const root = $("room");
  if (!root) return;
  const caseId = Number(root.dataset.caseId), room = "case:" + caseId;
  const selfId = Number(document.body.dataset.userId), leaderId = Number(root.dataset.leader);
  const names = Object.fromEntries(JSON.parse(root.dataset.panel).map((m) => [m.user_id, m.name]));
  let state = { stage: [], queue: [], capacity: 4 }, present = [], lastId = 0;
  let stream = null, mesh = null, sfu = null, socket = null, mode = "", layout = "speaker", speaker = null, left = false;
  let camera = null, screen = null;
  const early = []; // signals and arrivals that came before the mesh
  const tiles = new Map(); // key ("self", "feed:<id>", mesh sid) -> {figure, video, userId}

  document.querySelectorAll("#chat .msg").forEach((m) => { lastId = Math.max(lastId, Number(m.dataset.id)); });
  const onStage = (userId) => state.stage.includes(userId);
  const say = (text) => { $("room-status").textContent = text; };
  const fail = (text) => { $("room-error").textContent = text ? "⚠ " + text : ""; $("room-error").hidden = !text; };
  const notice = (text) => { $("media-notice").textContent = text || ""; $("media-notice").hidden = !text; };
  $("stage").dataset.empty = App.t("Waiting for the video of the stage…");

  // ---- tiles, layout, active speaker ---------------------------------------------------------
  function tile(key, userId, mine) {
    if (tiles.has(key)) return tiles.get(key);
    const video = el("video", { autoplay: "", playsinline: "" });
    video.muted = !!mine;
    const figure = el("figure", { "data-key": key }, video, el("figcaption"));
    const entry = { figure, video, userId: 0, mine: !!mine };
    tiles.set(key, entry);
    label(entry, userId);
    return entry;
  }

  // A tile is named by the server: the panel's names, and for a Janus feed the stage's map of feed
  // ids to people (state.feeds), which can arrive after the feed itself.
  function label(entry, userId) {
    entry.userId = userId;
    entry.figure.dataset.user = entry.video.dataset.user = String(userId);
    entry.figure.querySelector("figcaption").textContent = (names[userId] || "") + (entry.mine ? App.t(" (me)") : "");
  }

  const feedOwner = (feedId) => Number((state.feeds || {})[String(feedId)]) || 0;

  function dropTile(key) {
    const entry = tiles.get(key);
    if (entry) { entry.figure.remove(); tiles.delete(key); }
  }

  function mainUser() {
    if (speaker && onStage(speaker)) return speaker;
    return state.stage.find((u) => u !== selfId) || state.stage[0];
  }

  function placeTiles() {
    const main = mainUser();
    for (const [key, entry] of tiles) {
      const visible = onStage(entry.userId) && !(key === "self" && !onStage(selfId));
      const target = visible ? $("stage") : $("audience");
      if (entry.figure.parentNode !== target) target.append(entry.figure);
      entry.figure.classList.toggle("main-tile", layout === "speaker" && entry.userId === main);
      entry.figure.classList.toggle("speaking", entry.userId === speaker);
      if (key !== "self") entry.video.play().catch(() => {});
    }
    $("stage").className = "stage " + (layout === "speaker" ? "speaker-view" : "grid-view");
    $("stage-count").textContent = `${state.stage.length} / ${state.capacity}`;
  }

  function setSpeaker(userId) {
    speaker = userId;
    placeTiles();
    document.querySelectorAll("#present li").forEach((li) => li.classList.toggle("speaking", Number(li.dataset.user) === userId));
  }

  function setLayout(next) {
    layout = next;
    $("view-speaker").setAttribute("aria-pressed", String(next === "speaker"));
    $("view-grid").setAttribute("aria-pressed", String(next === "grid"));
    placeTiles();
  }

  // ---- people ---------------------------------------------------------------------------------
  function renderPeople() {
    const list = $("present"); list.textContent = "";
    for (const person of present) {
      const marks = [person.user_id === leaderId ? App.t("leader") : "", onStage(person.user_id) ? App.t("on stage") : App.t("audio"),
        state.queue.includes(person.user_id) ? App.t("hand raised") : ""].filter(Boolean).join(" · ");
      const item = el("li", { "data-user": String(person.user_id) }, el("span", { text: `${person.name} (${marks})` }));
      if (selfId === leaderId) {
        const give = !onStage(person.user_id), label = give ? App.t("Give the floor") : App.t("Take the floor");
        const button = el("button", { type: "button", class: "btn", "data-floor": give ? "give" : "take", "data-user": String(person.user_id), text: label });
        button.setAttribute("aria-label", `${label}: ${person.name}`);
        button.addEventListener("click", () => floor(person.user_id, give ? "give" : "take"));
        item.append(button);
      }
      list.append(item);
    }
    $("present-count").textContent = `(${present.length})`;
    const queue = $("queue"); queue.textContent = "";
    state.queue.forEach((userId) => queue.append(el("li", { text: names[userId] || String(userId) })));
    if ($("hand")) {
      const raised = state.queue.includes(selfId);
      $("hand").setAttribute("aria-pressed", raised ? "true" : "false");
      $("hand").textContent = raised ? App.t("Lower hand") : App.t("Raise hand");
    }
  }

  function addMessage(m) {
    if (m.id <= lastId) return;
    lastId = m.id;
    $("chat").append(el("div", { class: "msg" + (m.user_id === selfId ? " mine" : ""), "data-id": String(m.id) },
      el("strong", { text: m.user_name || names[m.user_id] || "" }), ": " + m.text));
    $("chat").scrollTop = $("chat").scrollHeight;
  }

  function applyState(next) {
    const before = new Set(state.stage);
    state = next;
    const changed = new Set([...before, ...state.stage].filter((u) => before.has(u) !== state.stage.includes(u)));
    if (mesh) {
      if (changed.has(selfId)) mesh.renegotiate();
      else if (changed.size) mesh.renegotiate((peer) => changed.has(peer.userId));
    }
    if (sfu) sfu.setPublishing(onStage(selfId));
    for (const [key, entry] of tiles) if (key.startsWith("feed:")) label(entry, feedOwner(Number(key.slice(5))));
    tile("self", selfId, true).video.srcObject = stream;
    placeTiles(); renderPeople();
    say(onStage(selfId) ? App.t("You have the floor (video)") : App.t("You are listening (audio and chat)"));
  }

  function floor(userId, action) {
    socket.emit("case.floor", { case_id: caseId, user_id: userId, action }, (ack) => { fail(ack.ok ? "" : ack.message || ack.error); });
  }

  // ---- media: Janus first, the mesh when the server says so -----------------------------------
  function credentials() {
    return new Promise((resolve) => socket.emit("case.media", { case_id: caseId }, (ack) => resolve(ack && ack.ok ? ack.media : { mode: "mesh", reason: "retry" })));
  }

  async function startSfu() {
    if (!window.ExpertMedia) return false;
    sfu = new window.ExpertMedia.SfuRoom({
      credentials, selfId, owner: feedOwner,
      onFeed: (feed) => { const entry = tile("feed:" + feed.feedId, feedOwner(feed.feedId), false); entry.video.srcObject = feed.stream; placeTiles(); },
      onFeedGone: (feed) => dropTile("feed:" + feed.feedId),
      onSpeaker: setSpeaker,
      onStatus: (status) => {
        if (status === "connected") { notice(""); fail(""); }
        if (status === "reconnecting") notice(App.t("The video server is away; reconnecting…"));
        if (status === "refused") fail(App.t("The video server refused; press Reconnect."));
      },
      onKicked: () => { if (sfu) sfu.setPublishing(onStage(selfId)); },
    });
    const used = await sfu.start(stream);
    if (!used) { sfu.close(); sfu = null; return false; }
    mode = "sfu"; root.dataset.media = "sfu";
    sfu.setPublishing(onStage(selfId));
    return true;
  }

  function startMesh(ack) {
    mode = "mesh"; root.dataset.media = "mesh";
    notice(App.t("The video server is not available: video goes directly between browsers, for a few people only."));
    if (mesh) mesh.close();
    mesh = new window.WebRTCMesh.PeerMesh({
      socket, room, selfId, selfSid: () => socket.id, iceServers: [], loopbackOnly: false,
      sendVideo: () => onStage(selfId),
      onTrack: (peer, remote) => { const entry = tile(peer.sid, peer.userId, false); entry.video.srcObject = remote; placeTiles(); },
      onPeerClosed: (peer) => dropTile(peer.sid),
    });
    mesh.o.iceServers = ack.ice_servers || [];
    mesh.o.loopbackOnly = !!ack.loopback_only;
    mesh.setLocalStream(stream);
    (ack.peers || []).forEach((p) => mesh.connect(p.sid, p.user_id));
    early.splice(0).forEach((m) => (m.kind ? mesh.handle(m) : mesh.connect(m.sid, m.user_id)));
  }

  function join() {
    if (left) return;
    socket.emit("join", { room, after: lastId }, async (ack) => {
      if (!ack || !ack.ok) { fail(App.t("You cannot enter this room.")); return; }
      present = ack.present; (ack.missed || []).forEach((e) => { if (e.kind === "message") addMessage(e); });
      applyState(ack.state);
      if (mode === "mesh") { startMesh(ack); return; }
      if (mode === "sfu") return; // Janus keeps its own connection; the socket only came back
      if (!(await startSfu())) startMesh(ack);
    });
  }

  // ---- toolbar --------------------------------------------------------------------------------
  function videoTrack() { return stream && stream.getVideoTracks()[0]; }

  async function listCameras() {
    if (!window.ExpertMedia || !navigator.mediaDevices) return;
    const list = await window.ExpertMedia.cameras();
    const select = $("camera-select");
    select.textContent = "";
    list.forEach((d, i) => select.append(el("option", { value: d.deviceId, text: d.label || App.t("Camera %(n)s", { n: i + 1 }) })));
    const current = videoTrack() && videoTrack().getSettings().deviceId;
    if (current) select.value = current;
    select.hidden = $("camera-switch").hidden = list.length < 2;
  }

  async function useCamera(deviceId) {
    const fresh = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: deviceId } } });
    const track = fresh.getVideoTracks()[0], old = videoTrack();
    if (old) { stream.removeTrack(old); old.stop(); }
    stream.addTrack(track);
    camera = track;
    if (!screen) await publishVideo(track);
    tile("self", selfId, true).video.srcObject = stream;
  }

  async function publishVideo(track) {
    if (sfu) await sfu.replaceVideo(track);
    if (mesh) for (const peer of mesh.peers.values()) {
      const sender = peer.pc && peer.pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender) await sender.replaceTrack(track);
    }
  }

  async function toggleShare() {
    const button = $("share");
    if (screen) {
      screen.stop(); screen = null;
      await publishVideo(videoTrack());
      tile("self", selfId, true).video.srcObject = stream;
    } else {
      try {
        const shared = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
        screen = shared.getVideoTracks()[0];
        screen.addEventListener("ended", () => { if (screen) toggleShare(); });
        await publishVideo(screen);
        tile("self", selfId, true).video.srcObject = shared;
      } catch (err) { fail(App.t("Screen sharing was refused or is not available.")); return; }
    }
    button.setAttribute("aria-pressed", screen ? "true" : "false");
    button.textContent = screen ? App.t("Stop sharing") : App.t("Share screen");
  }

  function leave() {
    left = true;
    if (sfu) { sfu.close(); sfu = null; }
    if (mesh) { mesh.close(); mesh = null; }
    mode = "";
    for (const key of [...tiles.keys()]) dropTile(key);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    if (screen) { screen.stop(); screen = null; }
    stream = null;
    socket.emit("leave", { room });
    $("left-room").hidden = false;
    say(App.t("You left the room."));
  }

  async function rejoin() {
    left = false;
    $("left-room").hidden = true;
    await openMedia();
    join();
  }

  async function openMedia() {
    let media = await window.WebRTCMesh.openMedia(true);
    if (!media.stream) { const audio = await window.WebRTCMesh.openMedia(false); if (audio.stream) media = audio; }
    if (media.error && !media.stream) fail(media.error);
    stream = media.stream;
    camera = videoTrack() || null;
    $("camera").disabled = !camera;
    listCameras().catch(() => {});
  }

  function toggle(button, kind, onText, offText) {
    const track = stream && (kind === "audio" ? stream.getAudioTracks()[0] : videoTrack());
    if (!track) return;
    track.enabled = !track.enabled;
    button.setAttribute("aria-pressed", track.enabled ? "false" : "true");
    button.textContent = track.enabled ? onText : offText;
  }

  async function start() {
    await openMedia();
    socket = connect();
    // The room's panels (opinions, materials, lecture) share this socket: see expert_panels.js.
    window.ExpertRoom = Object.assign(window.ExpertRoom || {}, { socket });
    document.dispatchEvent(new CustomEvent("expert:socket-ready", { detail: { socket, caseId } }));
    // Offers can arrive while the page still asks which media to use: kept for the mesh.
    socket.on("signal", (m) => { if (mesh) mesh.handle(m); else if (!mode) early.push(m); });
    socket.on("case.presence", (p) => {
      if (p.case_id !== caseId) return;
      present = p.present; renderPeople();
      if (p.action === "joined" && p.sid) { if (mesh) mesh.connect(p.sid, p.user_id); else if (!mode) early.push(p); }
      App.announce(p.action === "joined" ? App.t("%(name)s joined", { name: p.name }) : App.t("%(name)s left", { name: p.name }));
    });
    socket.on("case.peer_left", (p) => { if (mesh) mesh.drop(p.sid); });
    socket.on("message", (m) => { if (m.case_id === caseId) addMessage(m); });
    socket.on("case.stage", (s) => { if (s.case_id === caseId) applyState(s); });
    socket.on("case.status", (s) => { if (s.case_id === caseId && s.status !== "in_session") { leave(); say(App.t("The room has closed.")); } });
    socket.on("room.left", (p) => { if (p.room === room) { leave(); $("rejoin").hidden = true; fail(App.t("Your place in this room has ended.")); } });
    socket.on("case.opinion", (o) => { if (o.case_id === caseId) App.announce(App.t("New opinion from %(name)s", { name: o.by })); });
    socket.on("connect", join); // first connection and every reconnection: back into the room
    socket.on("resync", join); // the message queue was away: fetch what we missed
    if (socket.connected) join();
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-text");
    if (!input.value.trim()) return;
    socket.emit("message", { room, text: input.value }, (ack) => {
      if (ack.ok) { input.value = ""; addMessage(ack.message); fail(""); } else fail(ack.message || ack.error);
    });
  });
  if ($("hand")) $("hand").addEventListener("click", () => {
    socket.emit("case.hand", { case_id: caseId, raised: !state.queue.includes(selfId) }, (ack) => { if (!ack.ok) fail(ack.message || ack.error); });
  });
  $("mute").addEventListener("click", (e) => toggle(e.currentTarget, "audio", App.t("Mute"), App.t("Unmute")));
  $("camera").addEventListener("click", (e) => toggle(e.currentTarget, "video", App.t("Stop camera"), App.t("Start camera")));
  $("camera-select").addEventListener("change", (e) => useCamera(e.target.value).catch(() => fail(App.t("That camera cannot be used."))));
  $("camera-switch").addEventListener("click", () => {
    const select = $("camera-select");
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    useCamera(select.value).catch(() => fail(App.t("That camera cannot be used.")));
  });
  $("share").addEventListener("click", toggleShare);
  $("view-speaker").addEventListener("click", () => setLayout("speaker"));
  $("view-grid").addEventListener("click", () => setLayout("grid"));
  $("leave").addEventListener("click", leave);
  $("rejoin").addEventListener("click", rejoin);
  $("room-reconnect").addEventListener("click", () => {
    if (sfu) sfu.connect();
    else socket.emit("leave", { room }, () => join());
  });
  start();

  window.ExpertRoom = {
    ...(window.ExpertRoom || {}),
    mode: () => mode,
    stats: () => (sfu ? sfu.stats() : mesh ? mesh.stats() : Promise.resolve([])),
    peerConnections: () => (sfu ? sfu.peerConnections() : mesh ? [...mesh.peers.values()].map((p) => p.pc).filter(Boolean) : []),
    state: () => state, present: () => present, speaker: () => speaker, sfu: () => sfu,
  };
})();
