// Pharmacy desk and dispatch board: join the pharmacy room; say when orders change, without reloading mid-task.
(function () {
  "use strict";
  const box = document.getElementById("live-updates");
  if (!box) return;
  const socket = App.connect();
  if (!socket) return;
  const zh = App.lang === "zh";
  socket.on("connect", () => socket.emit("join", { room: "pharmacy:" + box.dataset.pharmacyId }));
  socket.onAny((event, payload) => {
    if (!/^(order|delivery)\./.test(event)) return;
    box.innerHTML = "";
    box.append(App.el("span", { text: (zh ? "订单有更新（" : "Orders changed (") + (payload.ref || "") + (zh ? "）。" : "). ") }),
      App.el("a", { href: location.pathname, text: zh ? "刷新列表" : "Refresh the list" }));
  });
})();
