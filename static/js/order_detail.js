// Order page: join the order's room and redraw status and timeline when order.* / delivery.* arrive.
(function () {
  "use strict";
  const box = document.getElementById("order");
  if (!box) return;
  const room = "order:" + box.dataset.orderId;
  const socket = App.connect();
  if (!socket) return;

  async function refresh(event) {
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    ["order", "timeline"].forEach((id) => {
      const next = fresh.getElementById(id);
      if (next) document.getElementById(id).innerHTML = next.innerHTML;
    });
    document.body.dataset.lastEvent = event;
    App.announce(document.getElementById("order-status").textContent);
  }

  socket.on("connect", () => socket.emit("join", { room }, () => refresh("join")));
  socket.onAny((event, payload) => {
    if (!/^(order|delivery)\./.test(event)) return;
    if (payload && String(payload.order_id) !== box.dataset.orderId) return;
    refresh(event);
  });
})();
