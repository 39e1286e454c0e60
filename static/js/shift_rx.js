// The shift desk's patient column: the header (name, age, sex, allergies, confirmed diagnoses,
// active medications), the record, and the prescription inline. A renewal starts from the
// proposed copy; "copy the last prescription" starts from the latest one; new lines take the days
// preset (28 for a stable chronic diagnosis, else 7). Findings come back as he types; signing
// saves the draft (with the copy's source) and signs it, with the override reason when asked.
(function () {
  "use strict";
  const root = document.getElementById("pt");
  if (!root || !window.App) return;
  const { api, el } = window.App;
  const $ = (id) => document.getElementById(id);
  const frequencies = JSON.parse(document.getElementById("shift-desk").dataset.frequencies);
  const tbody = $("rx-items"), findingsBox = $("rx-findings"), overrideField = $("override-field");
  const message = $("rx-message"), longBox = $("rx-long"), longReason = $("rx-long-reason"), preset = $("rx-days-preset");
  const sexes = { M: App.t("male"), F: App.t("female") };
  let desk = null, rows = [], sourceId = null, prescriptionId = null, timer = null, checking = 0;

  function say(kind, text) { message.className = kind ? "alert " + kind : ""; message.textContent = text; }

  function header(d) {
    $("pt-name").textContent = d.patient.name;
    $("pt-facts").textContent = [d.age != null ? App.t("%(age)s y", { age: d.age }) : "", sexes[d.patient.sex] || ""].filter(Boolean).join(" · ");
    $("pt-kind").textContent = d.consultation.renewal_of_prescription_id ? App.t("Renewal") : App.t("New problem");
    const allergies = d.allergies.filter((a) => a.active !== false);
    $("pt-allergies").className = "pt-allergies " + (allergies.length ? "alert error" : "muted");
    $("pt-allergies").textContent = allergies.length
      ? "⚠ " + App.t("Allergies") + ": " + allergies.map((a) => a.label + (a.reaction ? ` (${a.reaction})` : "")).join("、")
      : App.t("Allergies") + ": " + App.t("none known");
    const confirmed = d.diagnoses.filter((x) => x.status === "confirmed");
    $("pt-diagnoses").replaceChildren(...(confirmed.length ? confirmed.map((x) => el("li", { text: `${x.diagnosis} (${x.icd10})` + (x.stable ? " · " + App.t("stable") : "") }))
      : [el("li", { class: "muted", text: App.t("None") })]));
    $("pt-meds").replaceChildren(...(d.medications.length ? d.medications.map((m) => el("li", { text: `${m.name} ${m.strength} · ${frequencies[m.frequency] || m.frequency} · ` + App.t("until %(day)s", { day: m.supply_until }) }))
      : [el("li", { class: "muted", text: App.t("None") })]));
  }

  function record(d) {
    const c = d.consultation, r = d.medical_record || {};
    const values = { chief_complaint: r.chief_complaint || c.complaint, history: r.history || "",
      diagnosis: r.diagnosis || c.diagnosis.diagnosis, icd10: r.icd10 || c.diagnosis.icd10, advice: r.advice || d.default_advice };
    Object.entries(values).forEach(([k, v]) => { $("r-" + k).value = v; });
    $("pt-record-summary").textContent = `· ${values.chief_complaint} · ${values.diagnosis} (${values.icd10})`;
  }

  function fromPrescription(rx) {
    return rx.items.map((i) => ({ drug_code: i.drug_code, name: i.name_zh, strength: i.strength, dose: i.dose, dose_unit: i.dose_unit, frequency: i.frequency, days: i.days, quantity: i.quantity }));
  }

  function start(rx, source, text) {
    rows = fromPrescription(rx);
    sourceId = source; prescriptionId = rx.status === "draft" ? rx.id : null;
    longBox.checked = !!rx.long_prescription; longReason.value = rx.long_reason || "";
    $("rx-source").textContent = text;
    render(); changed();
  }

  function numberInput(row, key, index, label) {
    const input = el("input", { type: "number", id: `${key}-${index}`, min: "0", step: key === "days" ? "1" : "any", value: row[key], "aria-label": `${label} ${row.name}`, inputmode: "decimal", class: "num" });
    input.addEventListener("input", () => { row[key] = Number(input.value); changed(); });
    return input;
  }

  function render() {
    tbody.replaceChildren(...rows.map((row, index) => {
      const remove = el("button", { type: "button", class: "btn danger small", text: "✕", "aria-label": `${App.t("Remove")} ${row.name}` });
      remove.addEventListener("click", () => { rows.splice(index, 1); render(); changed(); });
      return el("tr", { "data-code": row.drug_code },
        el("td", { text: `${row.name} ${row.strength}` }),
        el("td", {}, numberInput(row, "dose", index, App.t("Dose")), " " + (row.dose_unit || "")),
        el("td", {}, RxEditor.frequencySelect(row, index, frequencies, changed)),
        el("td", {}, numberInput(row, "days", index, App.t("Days"))),
        el("td", { class: "qty", text: row.quantity == null ? "—" : String(row.quantity) }),
        el("td", {}, remove));
    }));
  }

  function body() {
    return {
      items: rows.map((r) => ({ drug_code: r.drug_code, dose: r.dose || 0, frequency: r.frequency || "qd", days: r.days || 1 })),
      long_prescription: longBox.checked, long_reason: longReason.value, validity_days: 1,
      source_id: sourceId, prescription_id: prescriptionId,
    };
  }

  function showFindings(result) {
    RxEditor.showFindings(result, { box: findingsBox, overrideField, tbody, rows });
  }

  async function check() {
    if (!desk || !rows.length) { findingsBox.replaceChildren(); overrideField.hidden = true; return; }
    const mine = ++checking;
    try {
      const result = await api("POST", `/api/shift/consultations/${desk.consultation.id}/check`, body());
      if (mine === checking) showFindings(result);
    } catch (err) { if (mine === checking) findingsBox.replaceChildren(el("p", { class: "alert error", text: "⚠ " + err.message })); }
  }

  function changed() { clearTimeout(timer); timer = setTimeout(check, 250); }

  function applyPreset() {
    const days = Number(preset.value);
    rows.forEach((r) => { r.days = days; });
    longBox.checked = days > 7;
    if (days > 7 && !longReason.value) longReason.value = desk ? desk.long_reason : "";
    render(); changed();
  }

  let signing = false;
  async function sign() {
    if (signing) return null; // a second press while the first is on its way would write twice
    if (!desk || !rows.length) { say("error", "⚠ " + App.t("Add at least one medicine first.")); return null; }
    say("", App.t("Signing…"));
    signing = true; $("rx-sign").setAttribute("aria-disabled", "true");
    try {
      const draft = await api("POST", `/api/shift/consultations/${desk.consultation.id}/prescription`, body());
      prescriptionId = draft.id;
      const signed = await api("POST", `/api/prescriptions/${draft.id}/sign`, { override_code: $("rx-override-code").value, override_reason: $("rx-override").value });
      say("ok", "✓ " + App.t("Signed and sent to the pharmacists (%(code)s).", { code: signed.code }));
      rows = []; prescriptionId = null; sourceId = null; longBox.checked = false; longReason.value = ""; render();
      clearTimeout(timer); checking++; // a check still on its way is about the signed draft
      findingsBox.replaceChildren(); overrideField.hidden = true;
      $("rx-override-code").value = ""; $("rx-override").value = "";
      root.dataset.signed = String(signed.id);
      $("finish").focus();
      return signed;
    } catch (err) {
      if (err.data && String(err.data.reason || "").startsWith("override_")) { overrideField.hidden = false; $("rx-override-code").focus(); }
      say("error", "⚠ " + err.message);
      changed();
      return null;
    } finally { signing = false; $("rx-sign").removeAttribute("aria-disabled"); }
  }

  function open(d, writable) {
    desk = d;
    $("pt-empty").hidden = true; $("pt-body").hidden = false;
    delete root.dataset.signed;
    header(d); record(d);
    rows = []; sourceId = null; prescriptionId = null; say("", ""); $("finish-message").textContent = "";
    $("rx-override-code").value = ""; $("rx-override").value = "";
    longBox.checked = false; longReason.value = "";
    preset.value = String(d.preset_days);
    $("rx-use-proposal").hidden = !d.proposal;
    $("rx-copy-last").disabled = !d.last;
    $("rx").hidden = !writable;
    if (d.draft) start(d.draft, d.draft.renewal_of_id, App.t("Your unsigned draft."));
    else if (d.proposal) start(d.proposal, d.proposal.id, App.t("Prefilled from the renewal proposal: check it and sign."));
    else { $("rx-source").textContent = ""; render(); check(); }
  }

  function close() { desk = null; rows = []; $("pt-body").hidden = true; $("pt-empty").hidden = false; }

  $("rx-copy-last").addEventListener("click", () => desk && desk.last && start(desk.last, desk.last.id, App.t("Copied from the last prescription (%(code)s).", { code: desk.last.code })));
  $("rx-use-proposal").addEventListener("click", () => desk && desk.proposal && start(desk.proposal, desk.proposal.id, App.t("Prefilled from the renewal proposal: check it and sign.")));
  $("rx-sign").addEventListener("click", sign);
  preset.addEventListener("change", applyPreset);
  [longBox, longReason].forEach((node) => node.addEventListener("change", changed));
  DrugSearch.attach($("drug-q"), $("drug-results"), $("drug-status"), {
    searching: App.t("Searching…"), results: App.t("%(n)s drugs found"), no_results: App.t("No drug found."),
    special: App.t("special control: cannot be prescribed online"),
  }, (drug) => {
    const days = Number(preset.value);
    rows.push({ drug_code: drug.code, name: drug.name_zh, strength: drug.strength, dose: drug.default_dose || 0, dose_unit: drug.dose_unit, frequency: drug.default_frequency, days, quantity: null });
    if (days > 7) { longBox.checked = true; if (!longReason.value && desk) longReason.value = desk.long_reason; }
    render(); changed();
  });

  const recordValues = () => Object.fromEntries(["chief_complaint", "history", "diagnosis", "icd10", "advice"].map((k) => [k, $("r-" + k).value]));
  window.ShiftRx = { open, close, sign, recordValues, hasRows: () => rows.length > 0 };
})();
