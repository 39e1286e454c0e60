// Lecture mode and the room's record of people: how many watch and how many hands are up (live),
// and the attendance record (stays in the room, time on stage, attendance per hospital) from
// GET /api/expert-cases/<id>/attendance, reloaded when presence or the stage changes.
//
// The room's socket comes through ExpertPanels.onRoomSocket (static/js/expert_panels.js: the
// interface with expert.js). Listens to `case.presence` {present} and `case.stage` {stage, queue}.
(function () {
  "use strict";
  const root = document.getElementById("lecture");
  if (!root) return;
  const { api, el, fmtTime } = window.App;
  const { onRoomSocket } = window.ExpertPanels;
  const caseId = Number(root.dataset.caseId);
  const presenters = JSON.parse(root.dataset.presenters || "[]");
  const $ = (id) => document.getElementById(id);
  let stage = [...presenters], timer = null;

  function minutes(seconds) { return App.t("%(n)s min", { n: Math.round(seconds / 60) }); }

  function setCount(id, value) { const node = $(id); if (node) node.textContent = String(value); }

  async function loadRecord() {
    const record = await api("GET", `/api/expert-cases/${caseId}/attendance`);
    const people = $("attendance-people").querySelector("tbody"); people.textContent = "";
    for (const p of record.participants) {
      people.append(el("tr", { "data-user": String(p.user_id) },
        el("td", { text: p.name + (p.presenter ? " · " + App.t("presenter") : "") }), el("td", { text: p.hospital }),
        el("td", { text: fmtTime(p.first_join) || "—" }), el("td", { text: p.present ? App.t("in the room") : fmtTime(p.last_leave) || "—" }),
        el("td", { text: String(p.intervals.length) }), el("td", { text: p.stage.length ? minutes(p.seconds_on_stage) : "—" })));
    }
    const hospitals = $("attendance-hospitals").querySelector("tbody"); hospitals.textContent = "";
    for (const h of record.by_hospital) {
      hospitals.append(el("tr", {}, el("td", { text: h.hospital || "—" }), el("td", { text: String(h.expected) }), el("td", { text: String(h.attended) })));
    }
    setCount("lecture-viewers", record.participants.filter((p) => p.present && !stage.includes(p.user_id)).length);
    $("attendance-status").textContent = App.t("%(n)s people attended", { n: record.participants.filter((p) => p.intervals.length).length });
  }

  function reloadSoon() {  // many joins at once (a lecture of 100) make one reload, not 100
    clearTimeout(timer);
    timer = setTimeout(() => loadRecord().catch(() => {}), 1500);
  }

  loadRecord().catch((err) => { $("attendance-status").textContent = "⚠ " + err.message; });
  onRoomSocket((socket) => {
    socket.on("case.presence", (p) => {
      if (p.case_id !== caseId) return;
      setCount("lecture-viewers", p.present.filter((m) => !stage.includes(m.user_id)).length);
      reloadSoon();
    });
    socket.on("case.stage", (s) => {
      if (s.case_id !== caseId) return;
      stage = s.stage; setCount("lecture-hands", s.queue.length);
      reloadSoon();
    });
  });
})();
