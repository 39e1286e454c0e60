// The prescription editor's pieces shared by the prescription page and the shift desk: a line's
// frequency picker and the safety checks' answer shown in place. Words through App.t.
(function () {
  "use strict";
  if (!window.App) return;
  const { el, t } = window.App;

  // No silent default: a new line starts at the drug's own usual frequency from the catalogue,
  // marked as such; a drug without one starts at "Choose…" and the checks ask for it.
  function frequencySelect(row, index, frequencies, onChange) {
    const select = el("select", { id: `freq-${index}`, "aria-label": `${t("Frequency")} ${row.name}` });
    if (!(row.frequency in frequencies)) select.append(el("option", { value: "", text: t("Choose…"), selected: "selected" }));
    Object.entries(frequencies).forEach(([code, label]) => {
      const text = code === row.default_frequency ? `${label} (${t("the drug's usual frequency")})` : label;
      const option = el("option", { value: code, text });
      option.selected = code === row.frequency;
      select.append(option);
    });
    select.addEventListener("change", () => { row.frequency = select.value; onChange(); });
    return select;
  }

  // Each finding (one that stops signing, or one the doctor must override), the override field
  // while any needs it, and each line's quantity as the server worked it out.
  function showFindings(result, { box, overrideField, tbody, rows }) {
    box.replaceChildren();
    if (!result.findings.length) box.append(el("p", { class: "alert ok", text: "✓ " + t("No problems found.") }));
    result.findings.forEach((f) => {
      const label = f.severity === "block" ? t("Cannot be signed") : t("Needs your override");
      box.append(el("p", { class: "alert " + (f.severity === "block" ? "error" : "warn"), "data-code": f.code, text: `⚠ ${label}: ${f.message}` }));
    });
    overrideField.hidden = result.warnings === 0;
    (result.quantities || []).forEach((q, i) => { if (rows[i]) rows[i].quantity = q; });
    tbody.querySelectorAll("td.qty").forEach((cell, i) => { cell.textContent = rows[i] && rows[i].quantity != null ? String(rows[i].quantity) : "—"; });
  }

  window.RxEditor = { frequencySelect, showFindings };
})();
