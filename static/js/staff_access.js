// The administrator's staff page: change a staff member's role, deactivate or reactivate him,
// without a reload (PATCH /api/staff/<id> with {role} or {active}; core.accounts.change_access).
//
// Interface (templates/core/staff.html): one tr[data-staff-row] per staff member with
// data-user-id, data-name, data-active ("1"/"0"); inside it select[data-role-select] and
// button[data-role-save] (only for the roles change_access may give), button[data-active-toggle],
// #active-<id> (yes/no in words), #access-result-<id> (status) and #access-error-<id> (alert).
(function () {
  "use strict";
  if (!window.App) return;

  function parts(row) {
    const id = row.dataset.userId;
    return {
      id,
      name: row.dataset.name,
      result: document.getElementById("access-result-" + id),
      error: document.getElementById("access-error-" + id),
    };
  }

  function say(row, text) {
    const { result, error } = parts(row);
    error.textContent = "";
    result.textContent = text;
  }

  // The field in words, then the server's message (e.g. the 409 for one's own account).
  function fail(row, fieldLabel, err) {
    const { result, error } = parts(row);
    result.textContent = "";
    const message = (err && err.message) || App.t("That did not work; please try again.");
    error.textContent = "⚠ " + App.t("%(field)s: %(message)s", { field: fieldLabel, message });
  }

  async function saveRole(row) {
    const { id, name } = parts(row);
    const select = row.querySelector("[data-role-select]");
    const label = select.options[select.selectedIndex].textContent;
    try {
      const user = await App.api("PATCH", "/api/staff/" + id, { role: select.value });
      select.dataset.current = user.role;
      say(row, App.t("%(name)s is now a %(role)s.", { name, role: label }));
    } catch (err) {
      select.value = select.dataset.current;  // the select shows the role he really has
      fail(row, App.t("Role"), err);
    }
  }

  function showActive(row, active) {
    const { id, name } = parts(row);
    const button = row.querySelector("[data-active-toggle]");
    row.dataset.active = active ? "1" : "0";
    document.getElementById("active-" + id).textContent = active ? App.t("yes") : App.t("no");
    button.textContent = active ? App.t("Deactivate") : App.t("Activate");
    button.setAttribute("aria-label", active ? App.t("Deactivate %(u)s", { u: name }) : App.t("Activate %(u)s", { u: name }));
  }

  async function toggleActive(row) {
    const { id, name } = parts(row);
    const activate = row.dataset.active !== "1";
    const question = App.t("Deactivate %(name)s? He will be signed out of all his devices at once.", { name });
    if (!activate && !window.confirm(question)) {
      say(row, App.t("Nothing changed: %(name)s stays active.", { name }));
      return;
    }
    try {
      const user = await App.api("PATCH", "/api/staff/" + id, { active: activate });
      showActive(row, user.active);
      say(row, user.active ? App.t("%(name)s is active again.", { name })
        : App.t("%(name)s is deactivated and signed out of every device.", { name }));
    } catch (err) {
      fail(row, App.t("Active"), err);
    }
  }

  document.querySelectorAll("[data-staff-row]").forEach((row) => {
    const select = row.querySelector("[data-role-select]");
    if (select) select.dataset.current = select.value;
    row.querySelector("[data-role-save]")?.addEventListener("click", () => saveRole(row));
    row.querySelector("[data-active-toggle]")?.addEventListener("click", () => toggleActive(row));  // not on one's own row
  });
})();
