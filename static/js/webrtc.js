// WebRTC peer connections over the app's Socket.IO signalling: one RTCPeerConnection per remote
// socket, signals addressed to that socket only. Used by the consultation call and the expert room.
(function () {
  "use strict";

  function isLoopback(candidate) {
    // "candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ..."
    const parts = (candidate || "").split(" ");
    const address = parts[4] || "";
    return address === "127.0.0.1" || address === "::1";
  }

  class PeerMesh {
    // options: socket, room, selfId, selfSid(), iceServers, loopbackOnly, sendVideo(), onTrack(peer, stream),
    // onPeerClosed(peer), onState(peer, state)
    constructor(options) {
      this.o = options;
      this.peers = new Map(); // sid -> {sid, userId, pc, pending: [], stageKey}
      this.stream = null;
    }

    setLocalStream(stream) { this.stream = stream; }

    track(kind) {
      return this.stream ? this.stream.getTracks().find((t) => t.kind === kind) || null : null;
    }

    isOfferer(sid, userId) {
      const me = this.o.selfId;
      return me < userId || (me === userId && this.o.selfSid() < sid);
    }

    // A new or returning peer: the side with the lower user id offers, so each pair negotiates once.
    connect(sid, userId) {
      if (sid === this.o.selfSid()) return;
      const known = this.peers.get(sid);
      if (!known) this.peers.set(sid, { sid, userId, pc: null, pending: [] });
      if (this.isOfferer(sid, userId)) this.offer(sid);
    }

    makePc(sid) {
      const peer = this.peers.get(sid);
      if (peer.pc) peer.pc.close();
      const pc = new RTCPeerConnection({ iceServers: this.o.iceServers || [] });
      peer.pc = pc;
      peer.pending = [];
      pc.onicecandidate = (event) => {
        if (!event.candidate) return;
        if (this.o.loopbackOnly && !isLoopback(event.candidate.candidate)) return; // media stay on 127.0.0.1
        this.signal(sid, "candidate", event.candidate.toJSON());
      };
      pc.ontrack = (event) => {
        const stream = event.streams[0] || new MediaStream([event.track]);
        if (this.o.onTrack) this.o.onTrack(peer, stream, event.track);
      };
      pc.onconnectionstatechange = () => { if (this.o.onState) this.o.onState(peer, pc.connectionState); };
      return pc;
    }

    signal(sid, kind, data) {
      this.o.socket.emit("signal", { room: this.o.room, to: sid, kind, data });
    }

    async offer(sid) {
      const pc = this.makePc(sid);
      const audio = this.track("audio");
      const video = this.o.sendVideo() ? this.track("video") : null;
      if (audio) pc.addTransceiver(audio, { direction: "sendrecv", streams: [this.stream] });
      else pc.addTransceiver("audio", { direction: "recvonly" });
      if (video) pc.addTransceiver(video, { direction: "sendrecv", streams: [this.stream] });
      else pc.addTransceiver("video", { direction: "recvonly" });
      await pc.setLocalDescription(await pc.createOffer());
      this.signal(sid, "offer", pc.localDescription.toJSON());
    }

    async answer(sid, offer) {
      const pc = this.makePc(sid);
      await pc.setRemoteDescription(offer);
      const sendVideo = this.o.sendVideo();
      for (const t of pc.getTransceivers()) {
        const kind = t.receiver.track.kind;
        const local = kind === "audio" ? this.track("audio") : sendVideo ? this.track("video") : null;
        if (local) {
          await t.sender.replaceTrack(local);
          if (t.sender.setStreams) t.sender.setStreams(this.stream);
          t.direction = "sendrecv";
        } else {
          t.direction = "recvonly";
        }
      }
      await pc.setLocalDescription(await pc.createAnswer());
      this.signal(sid, "answer", pc.localDescription.toJSON());
      await this.flush(sid);
    }

    async flush(sid) {
      const peer = this.peers.get(sid);
      const pending = peer.pending.splice(0);
      for (const candidate of pending) await peer.pc.addIceCandidate(candidate).catch(() => {});
    }

    // A relayed message from the server: {room, from, from_user, kind, data}.
    async handle(message) {
      if (message.room !== this.o.room) return;
      const sid = message.from;
      if (!this.peers.has(sid)) this.peers.set(sid, { sid, userId: message.from_user, pc: null, pending: [] });
      const peer = this.peers.get(sid);
      if (message.kind === "offer") await this.answer(sid, message.data);
      else if (message.kind === "answer" && peer.pc) { await peer.pc.setRemoteDescription(message.data); await this.flush(sid); }
      else if (message.kind === "candidate") {
        if (peer.pc && peer.pc.remoteDescription) await peer.pc.addIceCandidate(message.data).catch(() => {});
        else peer.pending.push(message.data);
      }
    }

    // Renegotiate with every peer (e.g. the stage changed): the offerer of each pair starts again.
    renegotiate(filter) {
      for (const peer of this.peers.values()) {
        if ((!filter || filter(peer)) && this.isOfferer(peer.sid, peer.userId)) this.offer(peer.sid);
      }
    }

    drop(sid) {
      const peer = this.peers.get(sid);
      if (!peer) return;
      if (peer.pc) peer.pc.close();
      this.peers.delete(sid);
      if (this.o.onPeerClosed) this.o.onPeerClosed(peer);
    }

    close() { for (const sid of [...this.peers.keys()]) this.drop(sid); }

    // Per peer: video frames decoded and audio packets received (what the tests and the page show).
    async stats() {
      const result = [];
      for (const peer of this.peers.values()) {
        const entry = { sid: peer.sid, userId: peer.userId, framesDecoded: 0, audioPackets: 0, state: "" };
        if (peer.pc) {
          entry.state = peer.pc.connectionState;
          (await peer.pc.getStats()).forEach((report) => {
            if (report.type !== "inbound-rtp") return;
            if (report.kind === "video") entry.framesDecoded += report.framesDecoded || 0;
            if (report.kind === "audio") entry.audioPackets += report.packetsReceived || 0;
          });
        }
        result.push(entry);
      }
      return result;
    }
  }

  // getUserMedia with a message in words when the browser refuses or has no device.
  async function openMedia(video) {
    try {
      return { stream: await navigator.mediaDevices.getUserMedia({ audio: true, video }) };
    } catch (err) {
      const refused = err && (err.name === "NotAllowedError" || err.name === "SecurityError");
      const message = refused
        ? App.t("The browser refused the camera or microphone. Allow them with the camera icon in the address bar, then press Reconnect.")
        : App.t("No camera or microphone was found. Check that one is connected, or use voice or text instead.");
      return { stream: null, error: message, refused };
    }
  }

  window.WebRTCMesh = { PeerMesh, openMedia, isLoopback };
})();
