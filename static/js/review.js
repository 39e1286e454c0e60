// The pharmacists' review queue, live: signed prescriptions appear, reviewed ones leave.
(function () {
  "use strict";
  const list = document.getElementById("review-queue");
  if (!list) return;
  const empty = document.getElementById("queue-empty");
  const socket = App.connect();
  if (!socket) return;
  function refreshEmpty() { empty.hidden = list.children.length > 0; }
  function join() { socket.emit("join", { room: list.dataset.room }); } // the pharmacist's hospital's queue
  socket.on("connect", join);
  if (socket.connected) join();
  socket.on("prescription.signed", (rx) => {
    if (list.querySelector(`li[data-id="${rx.prescription_id}"]`)) return; // personal room and queue room both send it
    const link = App.el("a", { href: `/pharmacist/review/${rx.prescription_id}`, text: `${list.dataset.open}: ${rx.patient_name} · ${rx.diagnosis} (${rx.icd10})` });
    const meta = App.el("span", { class: "muted", text: ` ${rx.doctor_name} · ${App.fmtTime(rx.signed_at)}` + (rx.warnings ? ` · ${rx.warnings} ${list.dataset.warnings}` : "") });
    list.append(App.el("li", { "data-id": String(rx.prescription_id) }, link, meta));
    App.announce(link.textContent);
    refreshEmpty();
  });
  socket.on("prescription.reviewed", (rx) => {
    const row = list.querySelector(`li[data-id="${rx.prescription_id}"]`);
    if (row) row.remove();
    refreshEmpty();
  });
})();
