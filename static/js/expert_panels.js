// What the expert room's panels (opinions, materials, lecture) share: the room's socket and errors
// said in words next to their fields. Each panel's partial loads this file before its own script
// (loaded twice, it keeps the first copy).
//
// Interface with the room page (static/js/expert.js owns the one Socket.IO connection):
//   - window.ExpertRoom.socket: the room's socket, once created;
//   - document event "expert:socket-ready" (detail {socket, caseId}): fired when it is created.
(function () {
  "use strict";
  if (window.ExpertPanels) return;

  // Run `use(socket)` with the room's socket, now or when the room creates it.
  function onRoomSocket(use) {
    if (window.ExpertRoom && window.ExpertRoom.socket) use(window.ExpertRoom.socket);
    else document.addEventListener("expert:socket-ready", (event) => use(event.detail.socket), { once: true });
  }

  function clearErrors(form) {
    form.querySelectorAll(".error-text, .alert.error").forEach((node) => { node.hidden = true; node.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  // An API error (the app's error shape) in words: next to each field it names (`e-<prefix>-<field>`)
  // and on the form's line (`<prefix>-error`), which names the fields by their labels.
  function showErrors(form, prefix, err) {
    clearErrors(form);
    const data = err.data || {};
    const fields = (data.errors && data.errors.json) || (data.errors && data.errors.form) || {};
    const named = [];
    for (const [name, messages] of Object.entries(fields)) {
      const input = form.querySelector(`[data-field="${name}"]`);
      const labelNode = input && form.querySelector(`label[for="${input.id}"]`);
      const label = labelNode ? labelNode.textContent : name;
      named.push(label);
      const slot = document.getElementById(`e-${prefix}-${name}`);
      if (slot) { slot.textContent = `⚠ ${App.t("Error")}: ${label}: ${[].concat(messages).join(" ")}`; slot.hidden = false; }
      if (input) input.setAttribute("aria-invalid", "true");
    }
    const line = document.getElementById(`${prefix}-error`);
    const fieldsText = named.length ? App.t("Please correct: %(fields)s", { fields: named.join(", ") }) + " — " : "";
    line.textContent = "⚠ " + fieldsText + (data.message || err.message);
    line.hidden = false;
  }

  window.ExpertPanels = { onRoomSocket, showErrors, clearErrors };
})();
