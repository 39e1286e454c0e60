// The doctor's workbench: the live queue of his department. A `consultation.queue` event on the
// queue room says something changed; the list is then fetched again (the API checks the shift).
(function () {
  "use strict";
  const section = document.getElementById("queue-section");
  if (!section || !window.App) return;
  const { api, connect, el, announce, csrf } = window.App;
  const list = document.getElementById("queue");
  const count = document.getElementById("queue-count");
  const modes = { text: App.t("Text"), voice: App.t("Voice"), video: App.t("Video") };

  function item(c) {
    const accept = el("form", { method: "post", action: `/consultations/${c.id}/accept`, class: "row" },
      el("input", { type: "hidden", name: "csrf_token", value: csrf }),
      el("button", { class: "btn primary", type: "submit", text: section.dataset.acceptLabel }),
      el("a", { class: "btn", href: `/consultations/${c.id}`, text: section.dataset.openLabel }));
    const dx = c.diagnosis ? ` · ${c.diagnosis.diagnosis} (${c.diagnosis.icd10})` : "";
    return el("li", { "data-id": String(c.id) },
      el("strong", { text: `#${c.id} ${c.patient_name}` }), ` · ${modes[c.mode] || c.mode}${dx}`,
      el("p", { text: c.complaint }), accept);
  }

  async function refresh() {
    try {
      const queue = await api("GET", "/api/consultations/queue");
      const before = list.querySelectorAll("li[data-id]").length;
      list.replaceChildren(...(queue.waiting.length ? queue.waiting.map(item)
        : [el("li", { class: "muted", text: section.dataset.emptyLabel })]));
      count.textContent = queue.waiting.length || "";
      if (queue.waiting.length > before) announce(App.t("A new patient is waiting"));
    } catch (err) {
      announce(App.t("Could not refresh the queue: %(error)s", { error: err.message }));
    }
  }

  const socket = connect();
  if (socket) {
    const join = () => socket.emit("join", { room: "queue:" + section.dataset.departmentId }, () => refresh());
    socket.on("connect", join);
    socket.on("resync", join);
    if (socket.connected) join();
    socket.on("consultation.queue", refresh);
    socket.on("consultation.handover", refresh);
  }
  // The shift box (templates/hospital/workbench/_my_rota.html) handed one over: no longer his open one.
  document.addEventListener("my-rota:handed-over", (event) => {
    const handed = event.detail.consultation;
    if (!handed.kept_by_doctor) document.querySelector(`#my-open li[data-id="${handed.id}"]`)?.remove();
  });
  setInterval(refresh, 60000);  // also catches shift start/end without any event
})();
