// The shift desk: ties the three columns together. "Next patient" accepts the longest-waiting
// one and opens him; finishing completes the consultation with the record; the call panel follows
// the open consultation. Nothing reloads the page. Shortcuts: Alt+N next patient (not while
// typing in a field), Ctrl+Enter send (in the message box only, see shift_chat.js), Ctrl+S sign
// (not from the message box or the drug search; the browser's "save page" never fires here).
(function () {
  "use strict";
  const root = document.getElementById("shift-desk");
  if (!root || !window.App || !window.ShiftQueue || !window.ShiftChat || !window.ShiftRx) return;
  const { api, announce } = window.App;
  const $ = (id) => document.getElementById(id);
  const nextButton = $("next-patient"), finishButton = $("finish"), finishMessage = $("finish-message");
  let current = null;
  let busy = false;

  function switchCall(consultation, open) {
    const panel = $("call-panel");
    $("call-wrap").hidden = !open;
    if (panel && window.CallPanel && window.CallPanel.switchTo) window.CallPanel.switchTo(consultation.id, consultation.mode);
  }

  let generation = 0; // an answer for a patient the doctor has already left is dropped
  async function open(id) {
    const mine = ++generation;
    const desk = await api("GET", `/api/shift/consultations/${id}`);
    if (mine !== generation) return null;
    const c = desk.consultation, writable = c.status === "accepted";
    current = c;
    root.dataset.consultationId = String(c.id);
    $("talk-empty").hidden = true;
    $("talk-who").textContent = "· " + desk.patient.name;
    await ShiftChat.open(c, writable);
    ShiftRx.open(desk, writable);
    switchCall(c, writable);
    announce(App.t("%(name)s is open", { name: desk.patient.name }));
    return desk;
  }

  async function nextPatient() {
    if (busy || nextButton.disabled) return;  // off shift (Alt+N too): the queue column says why
    busy = true;
    try {
      const c = await api("POST", "/api/shift/next", {});
      await open(c.id);
      $("chat-text").focus();
    } catch (err) {
      announce(err.message);
      const box = current ? finishMessage : $("talk-empty"); // "Nobody is waiting." where he looks
      box.className = current ? "alert warn" : "muted";
      box.textContent = err.message;
    } finally { busy = false; ShiftQueue.refresh(); }
  }

  let finishing = false;
  async function finish() {
    if (!current || finishing) return;
    finishing = true;
    try {
      await api("POST", `/api/consultations/${current.id}/complete`, ShiftRx.recordValues());
      const name = $("pt-name").textContent;
      closeColumns();
      $("talk-empty").textContent = App.t("%(name)s: consultation completed. Press “Next patient” to go on.", { name });
      announce($("talk-empty").textContent);
      ShiftQueue.refresh();
      nextButton.focus();
    } catch (err) {
      finishMessage.className = "alert error";
      finishMessage.textContent = "⚠ " + err.message;
      $("pt-record-box").open = true;
    } finally { finishing = false; }
  }

  function editing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.altKey && !event.ctrlKey && !event.metaKey && (event.key === "n" || event.key === "N" || event.code === "KeyN")) {
      if (editing(target)) return; // Alt+N in a field may be the doctor's own input method
      event.preventDefault();
      nextPatient();
    } else if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault(); // never the browser's "save page" on this screen
      if (!current || current.status !== "accepted" || target.id === "chat-text" || target.id === "drug-q") return;
      ShiftRx.sign();
    }
  });

  // The open consultation changed elsewhere (the patient withdrew, a handover, the shift ended):
  // show it as it is now. A handover from the shift panel also takes it off this screen.
  function reopenIfCurrent(event) {
    const mine = current && current.id === event.consultation_id;
    if (mine && !finishing && event.status !== current.status) open(current.id).catch(() => closeColumns());
    ShiftQueue.refresh();
  }
  function closeColumns() {
    generation++;
    ShiftChat.close(); ShiftRx.close();
    if (current) switchCall(current, false);
    current = null; delete root.dataset.consultationId;
    $("talk-who").textContent = ""; $("talk-empty").hidden = false;
  }
  const socket = App.connect();
  if (socket) socket.on("consultation.status", reopenIfCurrent);
  document.addEventListener("my-rota:handed-over", (event) => {
    const handed = event.detail && event.detail.consultation;
    if (handed && current && handed.id === current.id) closeColumns();
    ShiftQueue.refresh();
  });

  nextButton.addEventListener("click", nextPatient);
  finishButton.addEventListener("click", finish);
  ShiftQueue.setOpen((id) => open(id).catch((err) => announce(err.message)));
  ShiftQueue.refresh();
  window.ShiftDesk = { open, nextPatient, finish, loadedAt: Date.now() };
})();
