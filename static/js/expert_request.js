// The request form: search experts across the network by department, title and hospital.
(function () {
  "use strict";
  const { api, el, lang } = window.App;
  const results = document.getElementById("s-results");
  if (!results) return;
  const status = document.getElementById("s-status");
  const chosen = new Set();

  async function search() {
    const department = document.getElementById("s-department").value;
    const title = document.getElementById("s-title").value;
    const hospital = document.getElementById("s-hospital").value;
    status.textContent = App.t("Searching…");
    const query = new URLSearchParams();
    if (title) query.set("title", title);
    if (hospital) query.set("hospital", hospital);
    let doctors = await api("GET", "/api/doctors?" + query.toString());
    const departments = await api("GET", "/api/departments");
    const codes = Object.fromEntries(departments.map((d) => [d.id, d.code]));
    if (department) doctors = doctors.filter((d) => codes[d.department_id] === department);
    for (const row of [...results.querySelectorAll("tr")]) if (!chosen.has(row.dataset.id)) row.remove();
    for (const d of doctors) {
      if (chosen.has(String(d.id))) continue;
      const name = lang === "zh" ? d.department_name_zh : d.department_name_en;
      const box = el("input", { type: "checkbox", name: "expert_ids", value: String(d.id), id: "x-" + d.id, "aria-label": App.t("Invite %(name)s", { name: d.name }) });
      box.addEventListener("change", () => { if (box.checked) chosen.add(String(d.id)); else chosen.delete(String(d.id)); });
      const lead = el("input", { type: "radio", name: "leader_id", value: String(d.id), id: "l-" + d.id, "aria-label": App.t("Leader: %(name)s", { name: d.name }) });
      const present = el("input", { type: "checkbox", name: "presenter_ids", value: String(d.id), id: "p-" + d.id, "aria-label": App.t("Presenter (lecture): %(name)s", { name: d.name }) });
      present.addEventListener("change", () => { if (present.checked) chosen.add(String(d.id)); else if (!box.checked) chosen.delete(String(d.id)); });
      results.append(el("tr", { "data-id": String(d.id) }, el("td", {}, box), el("td", {}, lead), el("td", {}, present), el("td", { text: d.name }),
        el("td", { text: d.title }), el("td", { text: name }), el("td", { text: lang === "zh" ? d.hospital_name_zh : d.hospital_name_en })));
    }
    status.textContent = App.t("%(n)s doctors found", { n: doctors.length });
  }

  document.getElementById("s-go").addEventListener("click", () => search().catch((err) => { status.textContent = err.message; }));
})();
