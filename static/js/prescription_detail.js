// A prescription's page: when the pharmacist decides, reload to show the new status.
(function () {
  "use strict";
  const box = document.getElementById("rx-detail");
  const socket = box && App.connect();
  if (!socket) return;
  ["prescription.approved", "prescription.rejected"].forEach((event) => socket.on(event, (rx) => {
    if (String(rx.prescription_id) === box.dataset.id) window.location.reload();
  }));
})();
