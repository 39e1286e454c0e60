// The call panel of a consultation: start or join a voice/video call, mute, camera off, hang up,
// reconnect. Media go peer to peer; the server relays the signalling and keeps the call record.
(function () {
  "use strict";
  const panel = document.getElementById("call-panel");
  if (!panel || !window.WebRTCMesh) return;
  const { api, connect, el } = window.App;
  let consultationId = Number(panel.dataset.consultationId);
  let room = "call:" + consultationId;
  const selfId = Number(document.body.dataset.userId);
  const $ = (id) => document.getElementById(id);
  const status = $("call-status"), errorBox = $("call-error"), remoteVideo = $("call-remote"), localVideo = $("call-local");
  let socket = null, mesh = null, stream = null, callId = null, mode = panel.dataset.mode || "video", joined = false;

  function say(text) { status.textContent = text; }
  function fail(text) { errorBox.textContent = text ? "⚠ " + text : ""; errorBox.hidden = !text; }
  function setInCall(on) {
    panel.dataset.inCall = on ? "1" : "0";
    for (const id of ["call-mute", "call-camera", "call-hangup", "call-reconnect"]) $(id).hidden = !on;
    for (const b of panel.querySelectorAll("[data-start]")) b.hidden = on;
    if (mode === "voice") $("call-camera").hidden = true;
  }

  function socketReady() {
    if (socket) return socket;
    socket = connect();
    socket.on("signal", (message) => mesh && mesh.handle(message));
    socket.on("call.peer_joined", (peer) => { if (mesh) { mesh.connect(peer.sid, peer.user_id); say(App.t("The other side joined; connecting…")); } });
    socket.on("call.peer_left", (peer) => { if (mesh) { mesh.drop(peer.sid); say(App.t("The other side left; waiting for them to come back…")); } });
    socket.on("call.ended", (info) => { if (info.consultation_id === consultationId) finish(info.duration_seconds); });
    socket.on("consultation.call_started", (info) => {
      if (info.consultation_id !== consultationId || joined) return;
      mode = info.mode;
      say(mode === "video" ? App.t("%(name)s started a video call. Press Join call.", { name: info.by })
        : App.t("%(name)s started a voice call. Press Join call.", { name: info.by }));
      $("call-join").hidden = false;
    });
    socket.on("connect", () => { if (joined) rejoin(); }); // back after a dropped network
    return socket;
  }

  function join() {
    return new Promise((resolve) => {
      socket.emit("join", { room }, (ack) => {
        if (!ack || !ack.ok) { fail(App.t("Cannot enter the call (the consultation is not open).")); resolve(false); return; }
        mesh = new window.WebRTCMesh.PeerMesh({
          socket, room, selfId, selfSid: () => socket.id, iceServers: ack.ice_servers, loopbackOnly: ack.loopback_only,
          sendVideo: () => mode === "video",
          onTrack: (peer, remote) => { remoteVideo.srcObject = remote; say(App.t("In the call")); },
          onState: (peer, state) => { if (state === "failed") say(App.t("The connection dropped. Press Reconnect.")); },
        });
        mesh.setLocalStream(stream);
        (ack.peers || []).forEach((p) => mesh.connect(p.sid, p.user_id));
        if (!(ack.peers || []).length) say(App.t("Waiting for the other side to join…"));
        resolve(true);
      });
    });
  }

  async function start(wanted) {
    fail("");
    socketReady();
    try {
      const call = await api("POST", `/api/consultations/${consultationId}/calls`, { mode: wanted });
      callId = call.id; mode = call.mode;
    } catch (err) { fail(err.message); return; }
    const media = await window.WebRTCMesh.openMedia(mode === "video");
    if (media.error) fail(media.error);
    stream = media.stream;
    localVideo.srcObject = stream;
    joined = await join();
    setInCall(joined);
  }

  function rejoin() {
    if (mesh) mesh.close();
    socket.emit("leave", { room }, () => join());
    say(App.t("Reconnecting…"));
  }

  async function reconnect() {
    fail("");
    if (!stream) {
      const media = await window.WebRTCMesh.openMedia(mode === "video");
      if (media.error) { fail(media.error); return; }
      stream = media.stream; localVideo.srcObject = stream;
    }
    rejoin();
  }

  function finish(seconds) {
    if (mesh) mesh.close();
    mesh = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null; joined = false;
    remoteVideo.srcObject = null; localVideo.srcObject = null;
    if (socket) socket.emit("leave", { room });
    setInCall(false);
    const m = Math.floor((seconds || 0) / 60), s = String((seconds || 0) % 60).padStart(2, "0");
    say(App.t("Call ended, duration %(time)s", { time: `${m}:${s}` }));
    $("call-join").hidden = true;
  }

  async function hangup() {
    try { if (callId) await api("POST", `/api/consultations/${consultationId}/calls/${callId}/end`, { reason: "hangup" }); }
    catch (err) { fail(err.message); }
    finish(0);
  }

  function toggle(kind, button, onText, offText) {
    const track = stream && stream.getTracks().find((x) => x.kind === kind);
    if (!track) return;
    track.enabled = !track.enabled;
    button.setAttribute("aria-pressed", track.enabled ? "false" : "true");
    button.textContent = track.enabled ? onText : offText;
  }

  for (const b of panel.querySelectorAll("[data-start]")) b.addEventListener("click", () => start(b.dataset.start));
  $("call-join").addEventListener("click", () => start(mode));
  $("call-hangup").addEventListener("click", hangup);
  $("call-reconnect").addEventListener("click", reconnect);
  $("call-mute").addEventListener("click", (e) => toggle("audio", e.currentTarget, App.t("Mute"), App.t("Unmute")));
  $("call-camera").addEventListener("click", (e) => toggle("video", e.currentTarget, App.t("Camera off"), App.t("Camera on")));
  socketReady();
  if (panel.dataset.activeCall) { $("call-join").hidden = false; say(App.t("A call is running. Press Join call.")); }

  // For tests and the status line: frames decoded per peer.
  // The shift desk shows one panel for whichever consultation is open (never while in a call).
  function switchTo(id, wanted) {
    if (joined || id === consultationId) return;
    consultationId = id; room = "call:" + id; mode = wanted === "text" ? "video" : wanted;
    panel.dataset.consultationId = String(id);
    say(""); fail(""); $("call-join").hidden = true;
  }
  window.CallPanel = { stats: () => (mesh ? mesh.stats() : Promise.resolve([])), el, switchTo };
})();
