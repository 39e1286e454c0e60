// The pharmacists' review queue, live: signed prescriptions appear, reviewed ones leave, and the
// count and the oldest wait above the list follow.
(function () {
  "use strict";
  const list = document.getElementById("review-queue");
  if (!list) return;
  const empty = document.getElementById("queue-empty");
  const count = document.getElementById("queue-count");
  const oldest = document.getElementById("queue-oldest");
  const socket = App.connect();
  if (!socket) return;
  function refresh() {
    const rows = [...list.children];
    empty.hidden = rows.length > 0;
    if (count) count.textContent = String(rows.length);
    const first = rows.map((r) => r.dataset.signed).filter(Boolean).sort((a, b) => new Date(a) - new Date(b))[0];
    if (oldest) oldest.textContent = first ? App.fmtTime(first) : "—";
  }
  function join() { socket.emit("join", { room: list.dataset.room }, (ack) => { if (ack && ack.ok) list.dataset.live = "1"; }); }
  socket.on("connect", join);
  if (socket.connected) join();
  socket.on("prescription.signed", (rx) => {
    if (list.querySelector(`li[data-id="${rx.prescription_id}"]`)) return; // personal room and queue room both send it
    const link = App.el("a", { href: `/pharmacist/review/${rx.prescription_id}`, text: `${list.dataset.open}: ${rx.patient_name} · ${rx.diagnosis} (${rx.icd10})` });
    const meta = App.el("span", { class: "muted", text: ` ${rx.doctor_name} · ${App.fmtTime(rx.signed_at)}` + (rx.warnings ? ` · ${rx.warnings} ${list.dataset.warnings}` : "") });
    list.append(App.el("li", { "data-id": String(rx.prescription_id), "data-signed": new Date(rx.signed_at).toISOString(), class: "new" }, link, meta));
    App.announce(App.t("New prescription to review: %(name)s", { name: rx.patient_name }));
    refresh();
  });
  socket.on("prescription.reviewed", (rx) => {
    const row = list.querySelector(`li[data-id="${rx.prescription_id}"]`);
    if (row) row.remove();
    refresh();
  });
})();
