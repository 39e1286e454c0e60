// The shift desk's queue column: waiting patients (longest first) with a waiting time that ticks,
// mode, renewal or new problem and age; the doctor's open consultations. A `consultation.queue`
// event on the department's room says something changed: the list is fetched again. A new arrival
// plays a short tone, and the tab title carries the number waiting, "(3) …", so that a doctor on
// another tab sees it.
(function () {
  "use strict";
  const root = document.getElementById("sq");
  if (!root || !window.App) return;
  const { api, el, announce } = window.App;
  const list = document.getElementById("sq-list");
  const mine = document.getElementById("sq-mine");
  const count = document.getElementById("sq-count");
  const shiftLine = document.getElementById("sq-shift");
  const baseTitle = document.title;
  const modes = { text: App.t("Text"), voice: App.t("Voice"), video: App.t("Video") };
  const sexes = { M: App.t("male"), F: App.t("female") };
  let known = null; // ids seen in the last answer (null before the first)
  let waiting = [];
  let onOpen = () => {};
  let department = null;
  let audio = null;

  function waited(since) {
    const seconds = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 1000));
    const m = Math.floor(seconds / 60), s = String(seconds % 60).padStart(2, "0");
    return m >= 60 ? App.t("%(h)s h %(m)s min", { h: Math.floor(m / 60), m: m % 60 }) : `${m}:${s}`;
  }

  function tick() {
    list.querySelectorAll("[data-since]").forEach((node) => { node.textContent = waited(node.dataset.since); });
  }

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.08;
      tone.connect(gain).connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.25);
    } catch (err) { /* no audio device: the title and the live region still say it */ }
    window.shiftChimes = (window.shiftChimes || 0) + 1;
  }

  function showTitle() {
    document.title = waiting.length ? `(${waiting.length}) ${baseTitle}` : baseTitle;
  }

  function item(c) {
    const kind = c.renewal ? App.t("Renewal") : App.t("New problem");
    const who = [c.patient_name, c.age != null ? App.t("%(age)s y", { age: c.age }) : "", sexes[c.sex] || ""].filter(Boolean).join(" · ");
    const open = el("button", { type: "button", class: "btn", "data-accept": String(c.id), text: App.t("Accept") });
    open.addEventListener("click", () => accept(c.id));
    return el("li", { "data-id": String(c.id), class: "sq-item" },
      el("p", { class: "sq-line" }, el("strong", { text: who })),
      el("p", { class: "sq-line muted" },
        el("span", { class: "badge " + (c.renewal ? "ok" : "warn"), text: kind }), " ",
        el("span", { text: `${modes[c.mode] || c.mode} · ${c.diagnosis} (${c.icd10})` })),
      el("p", { class: "sq-line" }, App.t("Waited") + " ", el("span", { class: "sq-wait", "data-since": c.waiting_since, text: waited(c.waiting_since) }), " ", open));
  }

  function mineItem(c) {
    const button = el("button", { type: "button", class: "btn link", "data-open": String(c.id), text: `#${c.id} ${c.patient_name}` });
    button.addEventListener("click", () => onOpen(c.id));
    return el("li", {}, button);
  }

  // A shift that ends another day (a 24-hour one) says which: "12月3日 08:00", not "08:00".
  function shiftEnd(iso) {
    const today = App.fmtMonthDay(Date.now()) === App.fmtMonthDay(iso);
    return (today ? "" : App.fmtDay(iso) + " ") + App.fmtHour(iso);
  }

  function render(queue) {
    waiting = queue.waiting;
    list.replaceChildren(...(waiting.length ? waiting.map(item) : [el("li", { class: "muted", text: App.t("Nobody is waiting.") })]));
    mine.replaceChildren(...(queue.accepted.length ? queue.accepted.map(mineItem) : [el("li", { class: "muted", text: App.t("None") })]));
    count.textContent = waiting.length ? String(waiting.length) : "";
    // Off shift he may not accept anyone: the button says so by being off, and the line says why.
    const nextButton = document.getElementById("next-patient");
    if (nextButton) nextButton.disabled = !queue.shift;
    shiftLine.textContent = queue.shift
      ? App.t("On shift until %(time)s; %(taken)s of %(capacity)s taken.", { time: shiftEnd(queue.shift.ends_at), taken: queue.shift.accepted, capacity: queue.shift.capacity })
      : App.t("You are not on shift now: you can accept patients only during your own shift.");
    const ids = new Set(waiting.map((c) => c.id));
    const arrived = known ? waiting.filter((c) => !known.has(c.id)) : [];
    known = ids;
    if (arrived.length) { chime(); announce(App.t("A new patient is waiting")); }
    showTitle();
    return queue;
  }

  async function refresh() {
    try {
      const queue = render(await api("GET", "/api/shift/queue"));
      if (department === null) { department = queue.department_id; join(); }
      return queue;
    } catch (err) { announce(App.t("Could not refresh the queue: %(error)s", { error: err.message })); return null; }
  }

  async function accept(id) {
    try { await api("POST", `/api/consultations/${id}/accept`, {}); await onOpen(id); }
    catch (err) { announce(err.message); }
    refresh();
  }

  const socket = App.connect();
  function join() { if (socket && department !== null) socket.emit("join", { room: "queue:" + department }, () => refresh()); }
  if (socket) {
    socket.on("connect", join);
    socket.on("resync", join);
    socket.on("consultation.queue", refresh);
    socket.on("consultation.handover", refresh);
  }
  document.addEventListener("visibilitychange", showTitle);
  setInterval(tick, 1000);
  setInterval(refresh, 60000); // also catches shift start and end without any event

  window.ShiftQueue = { refresh, setOpen: (fn) => { onOpen = fn; }, waiting: () => waiting };
})();
