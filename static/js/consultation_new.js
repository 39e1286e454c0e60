// The request form: who is on duty now in the chosen department, and its next shifts.
(function () {
  "use strict";
  const select = document.getElementById("f-department_id");
  if (!select || !window.App) return;
  const { api, el, fmtTime, fmtHour, fmtMonthDay, lang } = window.App;
  const onDuty = document.getElementById("on-duty");
  const next = document.getElementById("next-shifts");
  const newBox = document.getElementById("new-diagnosis");
  const kinds = { morning: App.t("Morning"), evening: App.t("Evening"), oncall: App.t("24-hour on call") };

  async function show() {
    const dept = select.value;
    if (!dept) {
      onDuty.replaceChildren(el("li", { text: App.t("Choose the diagnosis first: the department follows from it.") }));
      next.replaceChildren();
      return;
    }
    try {
      const [doctors, shifts] = await Promise.all([
        api("GET", `/api/doctors?department=${dept}&on_duty=true`),
        api("GET", `/api/shifts?department=${dept}&upcoming=true`),
      ]);
      onDuty.replaceChildren(...(doctors.length ? doctors.map((d) => el("li", { text: `${d.name} · ${lang === "zh" ? d.department_name_zh : d.department_name_en}` }))
        : [el("li", { text: App.t("Nobody is on duty now; your request waits for the next shift.") })]));
      next.replaceChildren(...shifts.slice(0, 6).map((s) => el("li", { text: `${fmtTime(s.starts_at)} – ${until(s)} · ${s.doctor_name} · ${kinds[s.kind] || ""}` })));
    } catch (err) {
      onDuty.replaceChildren(el("li", { text: "⚠ " + err.message }));
    }
  }

  // A shift that ends on a later day (24-hour on call) says so: "08:00 – 08:00" read as no time at all.
  function until(shift) {
    const sameDay = fmtMonthDay(shift.starts_at) === fmtMonthDay(shift.ends_at);
    return sameDay ? fmtHour(shift.ends_at) : fmtTime(shift.ends_at);
  }

  function toggleNew() {
    const chosen = document.querySelector('input[name="diagnosis_id"]:checked');
    newBox.hidden = !(chosen && chosen.value === "new");
  }

  // The diagnosis picks the department (the one that follows it up); then who is on duty there.
  function followDiagnosis(event) {
    toggleNew();
    const department = event.target.dataset.department;
    if (department) select.value = department;
    show();
  }

  select.addEventListener("change", show);
  document.querySelectorAll('input[name="diagnosis_id"]').forEach((r) => r.addEventListener("change", followDiagnosis));
  toggleNew();
  show();
})();
