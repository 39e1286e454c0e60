// The dispatcher's board: every move through the API, the board refreshed in place (no reload),
// new and changed parcels arrive by themselves from the pharmacy's room.
(function () {
  "use strict";
  const board = document.getElementById("board");
  const box = document.getElementById("live-updates");
  const filters = document.getElementById("board-filters");
  const bulk = document.getElementById("bulk-assign");
  if (!board || !box) return;
  const done = document.getElementById("board-done");
  const bulkError = document.getElementById("bulk-error");
  const bulkCount = document.getElementById("bulk-count");

  function query() { return new URLSearchParams(new FormData(filters)).toString(); }
  function picked() { return [...board.querySelectorAll("input.pick:checked")].map((c) => c.value); }

  function countPicked() { const n = picked().length; bulkCount.textContent = n ? App.t("%(n)s selected", { n }) : ""; }

  // Swap the board for the server's fresh rendering, keeping what the dispatcher was doing: ticks,
  // open failure steps, words typed, and the focused control.
  let pending = null;
  async function refresh() {
    const response = await fetch(board.dataset.boardUrl + "?" + query(), { credentials: "same-origin" });
    if (!response.ok) { App.announce(App.t("The board could not be refreshed; try again.")); return; }
    const html = await response.text();
    const keep = new Set(picked());
    const open = [...board.querySelectorAll("details[open] summary")].map((s) => s.id);
    const typed = [...board.querySelectorAll("input[type=text], input:not([type]), select")].map((i) => [i.id, i.value]);
    const focused = document.activeElement && board.contains(document.activeElement) ? document.activeElement.id : null;
    board.innerHTML = html;
    board.querySelectorAll("input.pick").forEach((c) => { c.checked = keep.has(c.value); });
    open.forEach((id) => { const s = document.getElementById(id); if (s) s.parentElement.open = true; });
    typed.forEach(([id, value]) => { const i = id && document.getElementById(id); if (i) i.value = value; });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    countPicked();
  }
  function refreshSoon() { clearTimeout(pending); pending = setTimeout(refresh, 150); }

  function said(text) { done.hidden = false; done.textContent = "✓ " + text; App.announce(text); }

  // A step on a card: POST to its API action, say what happened, refresh the board.
  board.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.step");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".delivery-card");
    const error = card.querySelector(".card-error");
    const body = {};
    if (form.elements.received_by) body.received_by = form.elements.received_by.value;
    if (form.elements.reason) body.reason = [form.elements.reason_preset.value, form.elements.reason.value.trim()].filter(Boolean).join(" ");
    form.querySelector("button[type=submit]").disabled = true;
    try {
      await App.api("POST", form.dataset.api, body);
      const step = form.querySelector("button[type=submit]").textContent.trim();
      await refresh();
      said(App.t("%(ref)s: %(step)s", { ref: card.dataset.ref, step }));
    } catch (err) {
      error.hidden = false;
      error.textContent = "⚠ " + App.t("Error") + ": " + err.message;
      form.querySelector("button[type=submit]").disabled = false;
    }
  });
  board.addEventListener("change", (event) => { if (event.target.matches("input.pick")) countPicked(); });

  // Several parcels to one courier at once.
  bulk.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = picked().map(Number);
    bulkError.hidden = true;
    if (!ids.length) { bulkError.hidden = false; bulkError.textContent = "⚠ " + App.t("Tick at least one parcel first."); return; }
    const courier = bulk.elements.courier_id;
    try {
      await App.api("POST", "/api/deliveries/courier", { delivery_ids: ids, courier_id: Number(courier.value) });
      board.querySelectorAll("input.pick").forEach((c) => { c.checked = false; });
      await refresh();
      said(App.t("%(n)s parcels given to %(courier)s.", { n: ids.length, courier: courier.selectedOptions[0].textContent.trim() }));
    } catch (err) {
      bulkError.hidden = false;
      bulkError.textContent = "⚠ " + App.t("Error") + ": " + err.message;
    }
  });

  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", "?" + query());
    refresh();
  });

  const socket = App.connect();
  if (!socket) return;
  // Once the room is joined the board is live (and says so to tests and assistive tools alike).
  function join() { socket.emit("join", { room: "pharmacy:" + box.dataset.pharmacyId }, (ack) => { if (ack && ack.ok) { board.dataset.live = "1"; refreshSoon(); } }); }
  socket.on("connect", join);
  if (socket.connected) join();
  socket.onAny((event, payload) => {
    if (!/^(order|delivery)\./.test(event) || (payload && payload.notification_id)) return;
    if (event === "order.dispensed") box.textContent = App.t("New parcel to deliver: %(ref)s", { ref: (payload && payload.ref) || "" });
    refreshSoon();
  });
})();
