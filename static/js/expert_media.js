// The expert room's media through Janus (VideoRoom), wrapping the Janus JavaScript library:
// join the case's room with the credential the app hands out, publish my camera and microphone
// while I am on the stage, receive every stage member's feed, switch camera, share the screen in
// place of the camera, find the active speaker, and come back by itself when Janus restarts.
(function () {
  "use strict";
  if (!window.Janus) return;
  const PLUGIN = "janus.plugin.videoroom";
  const RETRY_MS = 1500, WATCH_MS = 3000, LEVEL_MS = 700, SPEAKING = 0.02;

  // Janus's library asks the webrtc-adapter only which browser this is: modern browsers need no
  // shim, so we answer that question ourselves rather than load the adapter.
  function browserDetails() {
    const ua = navigator.userAgent;
    let m = /Firefox\/(\d+)/.exec(ua);
    if (m) return { browser: "firefox", version: Number(m[1]) };
    m = /Chrom(?:e|ium)\/(\d+)/.exec(ua);
    if (m) return { browser: "chrome", version: Number(m[1]) };
    m = /Version\/(\d+).*Safari/.exec(ua);
    return m ? { browser: "safari", version: 605 } : { browser: "chrome", version: 100 };
  }

  // A session Janus no longer knows (Janus restarted) answers every long poll with error 458; the
  // library would poll again and again. We watch the answers and reconnect at the first one.
  const goneListeners = new Set();
  let ready = null;
  function init() {
    if (ready) return ready;
    const deps = Janus.useDefaultDependencies({ adapter: { browserDetails: browserDetails() } });
    const call = deps.httpAPICall;
    deps.httpAPICall = (url, options) => {
      const success = options.success;
      if (typeof success === "function") {
        options.success = (json) => {
          if (json && json.janus === "error" && json.error && json.error.code === 458) goneListeners.forEach((f) => f(url));
          success(json);
        };
      }
      return call(url, options);
    };
    ready = new Promise((resolve) => Janus.init({ debug: false, dependencies: deps, callback: resolve }));
    return ready;
  }

  class SfuRoom {
    // options: credentials() → Promise<media settings from the server>, selfId,
    // owner(feedId) → the user id the server says publishes that feed (0 when not known yet; the
    // `display` a browser gave Janus is never read: anyone can type anything there),
    // onFeed(feed), onFeedGone(feed), onSpeaker(userId|null), onStatus(state, detail), onKicked()
    constructor(options) {
      this.o = options;
      this.generation = 0;
      this.feeds = new Map(); // feed id -> {feedId, handle, stream}
      this.main = null; this.publisher = null; this.cred = null; this.janus = null;
      this.wantPublish = false; this.everConnected = false; this.local = null;
      this.speaker = null;
      this.onGone = (url) => { if (this.janus && url.indexOf("/" + this.sessionId) >= 0) this.lost(this.generation, "session gone"); };
    }

    status(state, detail) { this.state = state; if (this.o.onStatus) this.o.onStatus(state, detail); }

    // Start with my local stream (may be null: then I only watch). Resolves false when the server
    // says to use the mesh (Janus not configured or not answering at the first try).
    async start(localStream) {
      this.local = localStream;
      await init();
      goneListeners.add(this.onGone);
      this.levelTimer = setInterval(() => this.measureLevels(), LEVEL_MS);
      return this.connect();
    }

    async connect() {
      const generation = ++this.generation;
      this.teardown();
      this.status(this.everConnected ? "reconnecting" : "connecting");
      let cred = null;
      try { cred = await this.o.credentials(); } catch (err) { cred = null; }
      if (generation !== this.generation) return true;
      if (!cred || cred.mode !== "sfu") {
        if (this.everConnected || (cred && cred.reason === "retry")) { this.retry(generation); return true; }
        this.status("unavailable", cred);
        return false;
      }
      this.cred = cred;
      this.janus = new Janus({
        server: cred.server, token: cred.token, iceServers: cred.ice_servers || [],
        success: () => { this.sessionId = this.janus.getSessionId(); this.attachMain(generation); },
        error: (err) => this.lost(generation, err),
        destroyed: () => {},
      });
      return true;
    }

    lost(generation, why) {
      if (generation !== this.generation || this.closed) return;
      this.status("reconnecting", String(why || ""));
      this.generation += 1; // callbacks of the lost session are ignored from here on
      const next = this.generation;
      this.teardown();
      this.retry(next);
    }

    retry(generation) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => { if (generation === this.generation && !this.closed) this.connect(); }, RETRY_MS);
    }

    // Drop every handle locally (no requests: the server may be gone) and the session.
    teardown() {
      clearInterval(this.watchTimer);
      for (const feed of this.feeds.values()) {
        if (feed.handle) feed.handle.hangup(false);
        if (this.o.onFeedGone) this.o.onFeedGone(feed);
      }
      this.feeds.clear();
      [this.publisher, this.main].forEach((handle) => { if (handle) handle.hangup(false); });
      this.publisher = null; this.main = null; this.privateId = null;
      if (this.janus) {
        const old = this.janus;
        this.janus = null;
        try { old.destroy({ unload: true, notifyDestroyed: false }); } catch (err) { /* already gone */ }
      }
    }

    attach(generation, callbacks) {
      this.janus.attach({ plugin: PLUGIN, error: (err) => this.lost(generation, err), ...callbacks });
    }

    attachMain(generation) {
      const cred = this.cred;
      this.attach(generation, {
        success: (handle) => {
          this.main = handle;
          handle.send({ message: { request: "join", ptype: "publisher", room: cred.room, id: cred.view_id, token: cred.token, display: String(this.o.selfId) } });
        },
        onmessage: (msg) => this.onMain(generation, msg),
      });
    }

    onMain(generation, msg) {
      if (generation !== this.generation) return;
      const event = msg.videoroom;
      if (event === "joined") {
        this.privateId = msg.private_id;
        this.everConnected = true;
        this.status("connected");
        this.watch(generation);
        (msg.publishers || []).forEach((p) => this.subscribe(generation, p));
        if (this.wantPublish) this.publish(generation);
      } else if (event === "event") {
        (msg.publishers || []).forEach((p) => this.subscribe(generation, p));
        const gone = msg.unpublished || msg.leaving || msg.kicked;
        if (gone === "ok" && msg.reason === "kicked") { if (this.o.onKicked) this.o.onKicked(); }
        else if (gone && gone !== "ok") this.dropFeed(gone);
        if (msg.error_code) this.status("refused", msg.error);
      } else if (event === "talking" || event === "stopped-talking") {
        const userId = msg.id === this.cred.publish_id ? this.o.selfId : this.feeds.has(msg.id) && this.owner(msg.id);
        if (userId && event === "talking") this.setSpeaker(userId);
      }
    }

    // Liveness: a cheap request every few seconds; no answer or an error means Janus is gone.
    watch(generation) {
      clearInterval(this.watchTimer);
      this.watchTimer = setInterval(() => {
        if (generation !== this.generation || !this.main) return;
        this.main.send({
          message: { request: "exists", room: this.cred.room },
          success: (answer) => { if (answer && answer.exists === false) this.lost(generation, "room gone"); },
          error: (err) => this.lost(generation, err),
        });
        for (const pc of this.peerConnections()) if (pc.connectionState === "failed") this.lost(generation, "ice failed");
      }, WATCH_MS);
    }

    subscribe(generation, publisher) {
      const feedId = publisher.id;
      if (feedId === this.cred.publish_id || this.feeds.has(feedId)) return;
      const feed = { feedId, handle: null, stream: new MediaStream() };
      this.feeds.set(feedId, feed);
      const room = this.cred.room;
      this.attach(generation, {
        success: (handle) => {
          feed.handle = handle;
          handle.send({ message: { request: "join", ptype: "subscriber", room, streams: [{ feed: feedId }], private_id: this.privateId } });
        },
        onmessage: (msg, jsep) => {
          if (msg.error_code) { this.dropFeed(feedId); return; }
          if (!jsep || !feed.handle) return;
          feed.handle.createAnswer({
            jsep, tracks: [{ type: "data" }],
            success: (answer) => feed.handle.send({ message: { request: "start", room }, jsep: answer }),
            error: () => this.dropFeed(feedId),
          });
        },
        onremotetrack: (track, mid, on) => {
          feed.stream.getTracks().filter((t) => t.kind === track.kind && (on || t.id === track.id)).forEach((t) => feed.stream.removeTrack(t));
          if (on) feed.stream.addTrack(track);
          if (this.feeds.get(feedId) === feed && this.o.onFeed) this.o.onFeed(feed);
        },
      });
    }

    dropFeed(feedId) {
      const feed = this.feeds.get(feedId);
      if (!feed) return;
      this.feeds.delete(feedId);
      if (feed.handle) feed.handle.detach();
      if (this.o.onFeedGone) this.o.onFeedGone(feed);
      if (this.speaker === this.owner(feedId)) this.setSpeaker(null);
    }

    // On the stage or not: publish or stop (the server also kicks a publisher off the stage).
    async setPublishing(want) {
      this.wantPublish = want;
      if (!want && this.publisher) { const handle = this.publisher; this.publisher = null; handle.detach(); return; }
      if (want && !this.publisher && this.privateId) {
        if (!this.cred.publish_id) {
          const cred = await this.o.credentials();
          if (cred && cred.mode === "sfu") this.cred = cred;
        }
        if (this.wantPublish && !this.publisher) this.publish(this.generation);
      }
    }

    tracks() {
      const audio = this.local && this.local.getAudioTracks()[0];
      const video = this.videoTrack || (this.local && this.local.getVideoTracks()[0]);
      const list = [];
      if (audio) list.push({ type: "audio", capture: audio, recv: false, dontStop: true });
      if (video) list.push({ type: "video", capture: video, recv: false, dontStop: true });
      return list;
    }

    publish(generation) {
      const cred = this.cred;
      if (!cred.publish_id || this.publisher || !this.tracks().length) return;
      this.publisher = "pending";
      this.attach(generation, {
        success: (handle) => {
          if (generation !== this.generation || !this.wantPublish) { handle.detach(); this.publisher = null; return; }
          this.publisher = handle;
          handle.send({ message: { request: "join", ptype: "publisher", room: cred.room, id: cred.publish_id, token: cred.token, display: String(this.o.selfId) } });
        },
        onmessage: (msg, jsep) => {
          const handle = this.publisher;
          if (!handle || handle === "pending") return;
          if (msg.videoroom === "joined") {
            handle.createOffer({
              tracks: this.tracks(),
              success: (offer) => handle.send({ message: { request: "publish" }, jsep: offer }),
              error: (err) => this.status("refused", String(err && err.message || err)),
            });
          } else if (msg.error_code || (msg.leaving === "ok" && msg.reason === "kicked")) {
            // refused, or taken off the stage by the server: a later stage turn publishes anew
            this.publisher = null; handle.detach();
            if (msg.error_code) this.status("refused", msg.error);
          }
          if (jsep) handle.handleRemoteJsep({ jsep });
        },
      });
    }

    // Camera switch or screen share: the published video track is replaced, no renegotiation.
    async replaceVideo(track) {
      this.videoTrack = track;
      const pc = this.publisher && this.publisher.webrtcStuff && this.publisher.webrtcStuff.pc;
      const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender) await sender.replaceTrack(track);
    }

    peerConnections() {
      const handles = [this.publisher, this.main, ...[...this.feeds.values()].map((f) => f.handle)];
      return handles.filter((h) => h && h.webrtcStuff && h.webrtcStuff.pc).map((h) => h.webrtcStuff.pc);
    }

    owner(feedId) { return (this.o.owner && this.o.owner(feedId)) || 0; }

    setSpeaker(userId) {
      if (this.speaker === userId) return;
      this.speaker = userId;
      if (this.o.onSpeaker) this.o.onSpeaker(userId);
    }

    // The loudest feed (received audio level) is the active speaker.
    async measureLevels() {
      let best = null, loudest = SPEAKING;
      for (const feed of this.feeds.values()) {
        const pc = feed.handle && feed.handle.webrtcStuff && feed.handle.webrtcStuff.pc;
        if (!pc) continue;
        (await pc.getStats()).forEach((r) => {
          if (r.type === "inbound-rtp" && r.kind === "audio" && (r.audioLevel || 0) > loudest) { loudest = r.audioLevel; best = this.owner(feed.feedId); }
        });
      }
      if (best !== null) this.setSpeaker(best);
    }

    // Per received feed: frames decoded, audio packets, state (what the tests and the page show).
    async stats() {
      const result = [];
      for (const feed of this.feeds.values()) {
        const pc = feed.handle && feed.handle.webrtcStuff && feed.handle.webrtcStuff.pc;
        const entry = { feedId: feed.feedId, userId: this.owner(feed.feedId), framesDecoded: 0, frameWidth: 0, audioPackets: 0, state: pc ? pc.connectionState : "" };
        if (pc) (await pc.getStats()).forEach((r) => {
          if (r.type !== "inbound-rtp") return;
          if (r.kind === "video") { entry.framesDecoded += r.framesDecoded || 0; entry.frameWidth = r.frameWidth || entry.frameWidth; }
          if (r.kind === "audio") entry.audioPackets += r.packetsReceived || 0;
        });
        result.push(entry);
      }
      return result;
    }

    close() {
      this.closed = true;
      clearTimeout(this.retryTimer); clearInterval(this.levelTimer);
      goneListeners.delete(this.onGone);
      if (this.publisher && this.publisher !== "pending") this.publisher.detach();
      for (const feed of this.feeds.values()) if (feed.handle) feed.handle.detach();
      if (this.main) this.main.detach();
      this.feeds.clear(); this.publisher = null; this.main = null;
      if (this.janus) this.janus.destroy({ notifyDestroyed: false });
      this.janus = null;
    }
  }

  // Cameras, for the switch: the browser names them once access is granted.
  async function cameras() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((d) => d.kind === "videoinput");
  }

  window.ExpertMedia = { SfuRoom, cameras };
})();
