// Pharmacy desk and dispatch board: join the pharmacy room; say when orders change, without reloading mid-task.
(function () {
  "use strict";
  const box = document.getElementById("live-updates");
  if (!box) return;
  const socket = App.connect();
  if (!socket) return;
  socket.on("connect", () => socket.emit("join", { room: "pharmacy:" + box.dataset.pharmacyId }));
  socket.onAny((event, payload) => {
    if (!/^(order|delivery)\./.test(event)) return;
    box.innerHTML = "";
    box.append(App.el("span", { text: App.t("Orders changed (%(ref)s).", { ref: payload.ref || "" }) + " " }),
      App.el("a", { href: location.pathname, text: App.t("Refresh the list") }));
  });
})();
