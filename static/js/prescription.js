// The doctor's prescription editor: add drugs, see the safety findings as he types, save, sign.
(function () {
  "use strict";
  const root = document.getElementById("rx-editor");
  if (!root) return;
  const strings = JSON.parse(root.dataset.strings);
  const initial = JSON.parse(root.dataset.initial);
  const consultationId = Number(root.dataset.consultation);
  let prescriptionId = root.dataset.prescription ? Number(root.dataset.prescription) : null;
  const tbody = document.getElementById("rx-items");
  const findingsBox = document.getElementById("rx-findings");
  const overrideField = document.getElementById("override-field");
  const message = document.getElementById("rx-message");
  const longBox = document.getElementById("rx-long");
  const longReason = document.getElementById("rx-long-reason");
  const validity = document.getElementById("rx-validity");
  let rows = [];
  let timer = null;

  function numberInput(row, key, index, label, step) {
    const input = App.el("input", { type: "number", id: `${key}-${index}`, min: "0", step, value: row[key], "aria-label": label, inputmode: "decimal" });
    input.addEventListener("input", () => { row[key] = Number(input.value); changed(); });
    return input;
  }

  function render() {
    tbody.replaceChildren();
    rows.forEach((row, index) => {
      const remove = App.el("button", { type: "button", class: "btn danger", text: strings.remove, "aria-label": `${strings.remove} ${row.name}` });
      remove.addEventListener("click", () => { rows.splice(index, 1); render(); changed(); });
      const dose = App.el("span", {}, numberInput(row, "dose", index, `${strings.dose} (${row.dose_unit}) ${row.name}`, "any"), " " + row.dose_unit);
      tbody.append(App.el("tr", { "data-code": row.drug_code },
        App.el("td", { text: `${row.name} ${row.strength}` }),
        App.el("td", {}, dose),
        App.el("td", {}, RxEditor.frequencySelect(row, index, strings.frequencies, changed)),
        App.el("td", {}, numberInput(row, "days", index, `${strings.days} ${row.name}`, "1")),
        App.el("td", { class: "qty", text: row.quantity == null ? "—" : String(row.quantity) }),
        App.el("td", {}, remove)));
    });
  }

  function body() {
    return {
      consultation_id: consultationId,
      prescription_id: prescriptionId,
      items: rows.map((r) => ({ drug_code: r.drug_code, dose: r.dose || 0, frequency: r.frequency, days: r.days || 1 })),
      long_prescription: longBox.checked, long_reason: longReason.value, validity_days: Number(validity.value),
    };
  }

  function showFindings(result) {
    RxEditor.showFindings(result, { box: findingsBox, overrideField, tbody, rows });
  }

  async function check() {
    if (!rows.length) { findingsBox.replaceChildren(); overrideField.hidden = true; return; }
    try { showFindings(await App.api("POST", "/api/prescriptions/check", body())); }
    catch (err) { findingsBox.replaceChildren(App.el("p", { class: "alert error", text: "⚠ " + err.message })); }
  }

  function changed() { clearTimeout(timer); timer = setTimeout(check, 250); }

  async function save() {
    const data = body();
    delete data.prescription_id;
    if (prescriptionId) {
      delete data.consultation_id;
      return App.api("PUT", `/api/prescriptions/${prescriptionId}`, data);
    }
    const created = await App.api("POST", "/api/prescriptions", data);
    prescriptionId = created.id;
    return created;
  }

  function fail(err) { message.className = "alert error"; message.textContent = "⚠ " + err.message; }

  document.getElementById("rx-save").addEventListener("click", async () => {
    try { await save(); message.className = "alert ok"; message.textContent = "✓ " + strings.saved; } catch (err) { fail(err); }
  });

  document.getElementById("rx-sign").addEventListener("click", async () => {
    try {
      await save();
      const signed = await App.api("POST", `/api/prescriptions/${prescriptionId}/sign`, {
        override_code: document.getElementById("rx-override-code").value,
        override_reason: document.getElementById("rx-override").value,
      });
      message.className = "alert ok";
      message.replaceChildren("✓ " + strings.signed + " ", App.el("a", { href: `/prescriptions/${signed.id}`, id: "rx-open", text: strings.open }));
    } catch (err) { fail(err); }
  });

  [longBox, longReason, validity].forEach((el) => el.addEventListener("change", changed));
  longBox.checked = !!initial.long_prescription;
  longReason.value = initial.long_reason || "";
  validity.value = String(initial.validity_days || 1);
  rows = initial.items.map((i) => ({ ...i, quantity: null }));
  render();
  changed();

  DrugSearch.attach(document.getElementById("drug-q"), document.getElementById("drug-results"), document.getElementById("drug-status"), strings, (drug) => {
    rows.push({
      drug_code: drug.code, name: drug.name_zh, strength: drug.strength, dose: drug.default_dose || 0, dose_unit: drug.dose_unit,
      frequency: drug.default_frequency, default_frequency: drug.default_frequency, days: 7, quantity: null,
    });
    render();
    changed();
  });
})();
