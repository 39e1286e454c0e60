// Quick replies (常用语): chips that fill the chat input, and an inline editor of the doctor's own list.
//
// Interface (templates/hospital/workbench/_quick_replies.html renders it; include that partial once):
//   [data-quick-replies]                 the container; this script looks for it and does nothing without it.
//   data-quick-replies-target="<css>"    on the container or on any enclosing element: the <textarea> or
//                                        <input> that a chip fills (the text goes in at the caret, the input
//                                        gets focus and an "input" event, so a page's own handlers see it).
//                                        Looked up at each use, so the shift screen may swap the chat input;
//                                        while it is disabled, read-only or inside [hidden], a chip only says
//                                        "open a conversation" and Alt+digit is left to the page.
//   data-quick-replies-editing="1"       the editor is open and stays open (the "my quick replies" page).
// Keys: Alt+1 … Alt+9 insert the 1st … 9th reply (by key position, so that macOS's Option characters work).
// Events: the container dispatches "quick-replies:inserted" (detail {text, index}) after an insertion.
// API: GET/POST /api/quick-replies, PATCH/DELETE /api/quick-replies/<id>, PUT /api/quick-replies/order.
(function () {
  "use strict";
  const root = document.querySelector("[data-quick-replies]");
  if (!root || !window.App) return;
  const $ = (id) => document.getElementById(id);
  const chips = $("qr-chips");
  const bar = $("qr-bar");
  const editor = $("qr-editor");
  const editToggle = $("qr-edit");
  const list = $("qr-edit-list");
  const errorLine = $("qr-error");
  const statusLine = $("qr-status");
  const alwaysEditing = root.dataset.quickRepliesEditing === "1";
  let replies = [];

  function targetSelector() {
    const holder = root.closest("[data-quick-replies-target]");
    return holder ? holder.dataset.quickRepliesTarget : "";
  }

  // The chat input when it can take text now: present, enabled and shown (a shift screen hides
  // its chat form until a patient is open).
  function targetInput() {
    const input = targetSelector() ? document.querySelector(targetSelector()) : null;
    return input && !input.disabled && !input.readOnly && !input.closest("[hidden]") ? input : null;
  }

  const undoButton = $("qr-undo");
  let deleted = null; // {text, index} of the last deletion, until the next change

  function say(text) { errorLine.textContent = ""; statusLine.textContent = text; undoButton.hidden = !deleted; }

  // An API error in words, naming what to do next (the server's message is in the user's language).
  function fail(error) {
    statusLine.textContent = "";
    errorLine.textContent = "⚠ " + (error.message || App.t("That did not work; please try again."));
  }

  function insert(index) {
    const reply = replies[index];
    const input = targetInput();
    if (!reply) return false;
    if (!input) { say(App.t("Open a conversation to use a quick reply.")); return false; }
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    input.focus();
    input.setRangeText(reply.text, start, end, "end");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    root.dispatchEvent(new CustomEvent("quick-replies:inserted", { detail: { text: reply.text, index } }));
    return true;
  }

  function renderChips() {
    chips.replaceChildren();
    bar.hidden = alwaysEditing || !targetSelector();
    replies.forEach((reply, index) => {
      const button = App.el("button", { type: "button", class: "chip qr-chip", title: reply.text, "data-id": reply.id });
      if (index < 9) {
        button.setAttribute("aria-keyshortcuts", "Alt+" + (index + 1));
        button.append(App.el("span", { class: "qr-key", "aria-hidden": "true", text: String(index + 1) }));
      }
      button.append(App.el("span", { class: "qr-text", text: reply.text }));
      button.addEventListener("click", () => insert(index));
      chips.append(App.el("li", {}, button));
    });
    if (!replies.length) chips.append(App.el("li", { class: "muted", text: App.t("No quick replies yet.") }));
  }

  function rowButton(label, text, action) {
    const button = App.el("button", { type: "button", class: "btn qr-small", "aria-label": label, text });
    button.addEventListener("click", action);
    return button;
  }

  function editRow(reply, index) {
    const id = "qr-text-" + reply.id;
    const input = App.el("input", { id, value: reply.text, maxlength: "200", autocomplete: "off", "aria-describedby": "qr-error" });
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); save(reply, input); } });
    const label = App.el("label", { for: id, class: "visually-hidden", text: App.t("Quick reply %(n)s", { n: index + 1 }) });
    const row = App.el("li", { class: "qr-row", "data-id": reply.id }, label, input);
    const buttons = App.el("div", { class: "qr-row-actions" },
      rowButton(App.t("Save quick reply %(n)s", { n: index + 1 }), App.t("Save"), () => save(reply, input)));
    const up = rowButton(App.t("Move quick reply %(n)s up", { n: index + 1 }), "↑", () => move(index, -1));
    const down = rowButton(App.t("Move quick reply %(n)s down", { n: index + 1 }), "↓", () => move(index, 1));
    up.disabled = index === 0;
    down.disabled = index === replies.length - 1;
    buttons.append(up, down);
    buttons.append(rowButton(App.t("Delete quick reply %(n)s", { n: index + 1 }), App.t("Delete"), () => remove(reply)));
    row.append(buttons);
    return row;
  }

  function render(focusId) {
    renderChips();
    list.replaceChildren(...replies.map(editRow));
    if (focusId) document.getElementById(focusId)?.focus();
  }

  async function load() {
    try {
      replies = await App.api("GET", "/api/quick-replies");
      render();
    } catch (error) { fail(error); }
  }

  async function save(reply, input) {
    deleted = null;
    try {
      const saved = await App.api("PATCH", "/api/quick-replies/" + reply.id, { text: input.value });
      replies = replies.map((r) => (r.id === saved.id ? saved : r));
      render("qr-text-" + saved.id);
      say(App.t("Saved."));
    } catch (error) { fail(error); input.focus(); }
  }

  async function move(index, step) {
    deleted = null;
    const order = replies.map((r) => r.id);
    [order[index], order[index + step]] = [order[index + step], order[index]];
    try {
      replies = await App.api("PUT", "/api/quick-replies/order", { ids: order });
      render("qr-text-" + order[index + step]);
      say(App.t("Moved to place %(n)s.", { n: index + step + 1 }));
    } catch (error) { fail(error); load(); }
  }

  // Deleting asks nothing (no pop-ups); "Undo" puts the text back in its place instead.
  async function remove(reply) {
    try {
      await App.api("DELETE", "/api/quick-replies/" + reply.id);
      deleted = { text: reply.text, index: replies.findIndex((r) => r.id === reply.id) };
      replies = replies.filter((r) => r.id !== reply.id);
      render();
      say(App.t("Deleted: %(text)s", { text: reply.text }));
      undoButton.focus();
    } catch (error) { fail(error); }
  }

  async function undo() {
    const { text, index } = deleted;
    deleted = null;
    try {
      const reply = await App.api("POST", "/api/quick-replies", { text });
      const order = replies.map((r) => r.id);
      order.splice(index, 0, reply.id);
      replies = await App.api("PUT", "/api/quick-replies/order", { ids: order });
      render("qr-text-" + reply.id);
      say(App.t("Put back: %(text)s", { text }));
    } catch (error) { fail(error); load(); }
  }

  async function add(event) {
    deleted = null;
    event.preventDefault();
    const input = $("qr-new");
    try {
      const reply = await App.api("POST", "/api/quick-replies", { text: input.value });
      replies.push(reply);
      input.value = "";
      render();
      input.focus();
      say(App.t("Added: %(text)s", { text: reply.text }));
    } catch (error) { fail(error); input.focus(); }
  }

  function toggleEditor(open) {
    deleted = null;
    say("");
    editor.hidden = !open;
    editToggle.setAttribute("aria-expanded", String(open));
    if (open) ($("qr-edit-list").querySelector("input") || $("qr-new")).focus();
    else editToggle.focus();
  }

  function onKey(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !/^Digit[1-9]$/.test(event.code)) return;
    if (insert(Number(event.code.slice(5)) - 1)) event.preventDefault();
  }

  editToggle?.addEventListener("click", () => toggleEditor(editor.hidden));
  $("qr-done")?.addEventListener("click", () => toggleEditor(false));
  $("qr-add-form").addEventListener("submit", add);
  undoButton.addEventListener("click", undo);
  document.addEventListener("keydown", onKey);
  load();
})();
