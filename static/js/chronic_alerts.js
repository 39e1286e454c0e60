// Doctor's department list and patient panel: urgent readings arrive live (chronic.alert).
(function () {
  "use strict";
  const list = document.getElementById("alert-list");
  if (!list) return;
  const section = document.getElementById("panel-alerts-section");
  const onlyPatient = section ? Number(section.dataset.patientId) : null;
  const socket = App.connect();
  if (!socket) return;
  socket.on("chronic.alert", (payload) => {
    if (onlyPatient && payload.patient_id !== onlyPatient) return;
    if (list.querySelector(`[data-alert-id="${payload.alert_id}"]`)) return;
    const item = App.el("li", { class: "alert-row unread live", "data-alert-id": String(payload.alert_id) },
      App.el("strong", { text: "⚠ " + App.t("Urgent reading") + ": " }),
      App.el("span", { text: `${payload.patient_name || ""} · ${payload.summary} · ${App.fmtTime(payload.created_at)} ` }));
    if (!onlyPatient) {
      item.append(App.el("br"), App.el("a", { class: "btn", href: payload.url, text: App.t("Open the patient's panel") }));
    } else {
      item.append(App.el("br"), App.el("a", { class: "btn", href: location.pathname + location.search, text: App.t("Refresh the chart") }));
    }
    list.prepend(item);
    document.getElementById("no-alerts")?.remove();
    App.announce(payload.title || App.t("Urgent reading"));
  });
})();
