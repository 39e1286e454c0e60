// The doctor's shift at a glance and the handover (交班), for any doctor's page.
//
// Interface (templates/hospital/workbench/_my_rota.html renders it; include that partial once):
//   [data-my-rota]   the container; this script looks for it and does nothing without it. It needs no data
//                    attribute: it reads the signed-in doctor's shifts (GET /api/me/shifts, this week and the
//                    next) and, when he opens "hand over", his open consultations (GET /api/consultations/queue).
//   Handing over posts to the existing POST /api/consultations/<id>/handover ({} = the colleague on the next
//   shift of his department; {"keep": true} = he keeps it after his shift).
// Events: the container dispatches "my-rota:handed-over" (bubbling; detail {consultation}) after each handover or keep,
// so that a page showing the same consultations can refresh them.
(function () {
  "use strict";
  const root = document.querySelector("[data-my-rota]");
  if (!root || !window.App) return;
  const $ = (id) => document.getElementById(id);
  const panel = $("my-rota-handover");
  const openButton = $("my-rota-handover-open");
  const openList = $("my-rota-open");
  const errorLine = $("my-rota-error");
  const statusLine = $("my-rota-status");
  const KINDS = { morning: App.t("Morning shift"), evening: App.t("Evening shift"), oncall: App.t("24-hour on-call") };
  let shifts = [];
  let open = [];

  function say(text) { errorLine.textContent = ""; statusLine.textContent = text; }
  function fail(error) { errorLine.textContent = "⚠ " + (error.message || App.t("That did not work; please try again.")); }

  function where(shift) {
    const department = App.lang === "zh" ? shift.department_name_zh : shift.department_name_en;
    const hospital = App.lang === "zh" ? shift.hospital_name_zh : shift.hospital_name_en;
    return department + " · " + hospital;
  }

  // Shift times in the hospital's time zone (App's formatters read it from <body data-timezone>),
  // whatever the browser's own zone.
  function describe(shift) {
    const start = shift.starts_at, end = shift.ends_at;
    const sameDay = App.fmtMonthDay(end) === App.fmtMonthDay(start);  // a shift lasts at most a day
    return App.t("%(kind)s, %(start)s – %(end)s, %(where)s", {
      kind: KINDS[shift.kind] || shift.kind,
      start: App.fmtDay(start) + " " + App.fmtHour(start),
      end: (sameDay ? "" : App.fmtDay(end) + " ") + App.fmtHour(end),
      where: where(shift),
    });
  }

  function timeLeft(ms) {
    const minutes = Math.max(0, Math.round(ms / 60000));
    return App.t("%(h)s h %(m)s min left", { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  // The current shift and the next one, from the shifts read at load; redrawn each half minute.
  function show() {
    const now = Date.now();
    const current = shifts.find((s) => Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
    const next = shifts.find((s) => Date.parse(s.starts_at) > now);
    const ending = current && Date.parse(current.ends_at) - now < 30 * 60000;
    $("my-rota-now").textContent = current
      ? App.t("On duty now: %(shift)s. %(left)s.", { shift: describe(current), left: timeLeft(Date.parse(current.ends_at) - now) })
      : App.t("You are not on shift now.");
    $("my-rota-next").textContent = next ? App.t("Next shift: %(shift)s.", { shift: describe(next) }) : App.t("No further shift this week or next.");
    openButton.classList.toggle("primary", Boolean(ending));
  }

  async function loadShifts() {
    try {
      shifts = await App.api("GET", "/api/me/shifts");
      show();
    } catch (error) { fail(error); }
  }

  function openRow(consultation) {
    const label = "#" + consultation.id + " " + consultation.patient_name;
    const row = App.el("li", { class: "my-rota-row", "data-id": consultation.id },
      App.el("span", { class: "my-rota-who", text: label + (consultation.kept_by_doctor ? " · " + App.t("kept after your shift") : "") }));
    const handButton = App.el("button", { type: "button", class: "btn", "aria-label": App.t("Hand over %(who)s", { who: label }), text: App.t("Hand over") });
    const keepButton = App.el("button", { type: "button", class: "btn", "aria-label": App.t("Keep %(who)s", { who: label }), text: App.t("Keep") });
    handButton.addEventListener("click", () => handOver(consultation, {}));
    keepButton.addEventListener("click", () => handOver(consultation, { keep: true }));
    if (consultation.kept_by_doctor) keepButton.disabled = true;
    row.append(App.el("span", { class: "row" }, handButton, keepButton));
    return row;
  }

  function renderOpen() {
    openList.replaceChildren(...open.map(openRow));
    if (!open.length) openList.append(App.el("li", { class: "muted", text: App.t("No open consultations: nothing to hand over.") }));
    $("my-rota-handover-all").hidden = open.length < 2;
  }

  async function loadOpen() {
    try {
      open = (await App.api("GET", "/api/consultations/queue")).accepted;
      renderOpen();
    } catch (error) { fail(error); }
  }

  // One consultation to the next shift's colleague (or kept); true when it went through.
  async function handOver(consultation, body) {
    try {
      const answer = await App.api("POST", "/api/consultations/" + consultation.id + "/handover", body);
      open = body.keep ? open.map((c) => (c.id === answer.id ? answer : c)) : open.filter((c) => c.id !== answer.id);
      renderOpen();
      say(body.keep
        ? App.t("You keep #%(id)s after your shift.", { id: answer.id })
        : App.t("#%(id)s handed over to Dr %(name)s.", { id: answer.id, name: answer.doctor_name }));
      root.dispatchEvent(new CustomEvent("my-rota:handed-over", { bubbles: true, detail: { consultation: answer } }));
      return true;
    } catch (error) { fail(error); return false; }
  }

  async function handOverAll() {
    let handed = 0;
    for (const consultation of [...open]) if (await handOver(consultation, {})) handed += 1;
    if (handed) say(App.t("%(n)s consultations handed over.", { n: handed }));
  }

  function toggle(show) {
    panel.hidden = !show;
    openButton.setAttribute("aria-expanded", String(show));
    if (show) loadOpen().then(() => (openList.querySelector("button") || $("my-rota-handover-close")).focus());
    else openButton.focus();
  }

  openButton.addEventListener("click", () => toggle(panel.hidden));
  $("my-rota-handover-close").addEventListener("click", () => toggle(false));
  $("my-rota-handover-all").addEventListener("click", handOverAll);
  loadShifts();
  setInterval(show, 30000);  // the time left
  setInterval(loadShifts, 10 * 60000);  // a rota changed by the administrator meanwhile
})();
