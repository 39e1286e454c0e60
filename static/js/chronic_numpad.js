// The big number pad of elder mode: fills the focused field, "Next" moves on, then saves.
(function () {
  "use strict";
  const pad = document.getElementById("numpad");
  const form = document.getElementById("reading-form");
  if (!pad || !form) return;
  const fields = Array.from(form.querySelectorAll(".numpad-target"));
  if (!fields.length) return;
  let active = fields.find((f) => f.getAttribute("aria-invalid") === "true") || fields[0];

  if (document.documentElement.classList.contains("elder")) {
    pad.hidden = false;
    fields.forEach((f) => f.setAttribute("inputmode", "none")); // the pad, not the phone keyboard
  }
  fields.forEach((f) => f.addEventListener("focus", () => { active = f; mark(); }));

  function mark() {
    fields.forEach((f) => f.classList.toggle("numpad-active", f === active));
  }

  pad.addEventListener("click", (event) => {
    const key = event.target.closest("button")?.dataset.key;
    if (!key) return;
    if (key === "next") {
      const next = fields[fields.indexOf(active) + 1];
      if (next) { active = next; mark(); App.announce(next.labels[0]?.textContent || ""); }
      else form.requestSubmit();
      return;
    }
    if (key === "⌫") active.value = active.value.slice(0, -1);
    else if (key !== "." || !active.value.includes(".")) active.value += key;
    App.announce(active.value);
  });
  mark();
})();
