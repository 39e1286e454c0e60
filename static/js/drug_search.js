// Type-ahead drug search: Chinese name, generic name or pinyin initials (aldp → 氨氯地平).
// From the keyboard: ↓ / ↑ move through the results (focus), Enter takes the focused one (Enter
// in the search box takes the first), Escape goes back to the search box.
(function () {
  "use strict";
  function attach(input, list, status, strings, onChoose) {
    let timer = null, seq = 0, pending = null;
    function clear() { list.replaceChildren(); input.setAttribute("aria-expanded", "false"); }
    function buttons() { return Array.from(list.querySelectorAll("button[data-code]")); }
    async function search() {
      const q = input.value.trim();
      if (!q) { clear(); status.textContent = ""; return; }
      const mine = ++seq;
      status.textContent = strings.searching;
      const drugs = await App.api("GET", "/api/drugs?q=" + encodeURIComponent(q) + "&limit=10");
      if (mine !== seq) return; // a newer keystroke answered later
      clear();
      status.textContent = drugs.length ? strings.results.replace("%(n)s", drugs.length) : strings.no_results;
      drugs.forEach((drug) => {
        const label = `${drug.name_zh} ${drug.strength} · ${drug.generic_en} (${drug.package_desc})` +
          (drug.special_control ? " — " + strings.special : "");
        const button = App.el("button", { type: "button", class: "btn", "data-code": drug.code, text: label });
        button.addEventListener("click", () => { onChoose(drug); input.value = ""; clear(); input.focus(); });
        list.append(App.el("li", {}, button));
      });
      input.setAttribute("aria-expanded", drugs.length ? "true" : "false");
    }
    function run() { pending = search().catch((e) => { status.textContent = e.message; }); return pending; }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { timer = null; run(); }, 150); });
    input.addEventListener("keydown", async (event) => {
      if (event.key !== "ArrowDown" && event.key !== "Enter") return;
      event.preventDefault();
      if (timer) { clearTimeout(timer); timer = null; await run(); } else if (pending) await pending;
      const first = buttons()[0];
      if (!first) return;
      if (event.key === "Enter") first.click(); else first.focus();
    });
    list.addEventListener("keydown", (event) => {
      const all = buttons(), at = all.indexOf(document.activeElement);
      if (at < 0) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = at + (event.key === "ArrowDown" ? 1 : -1);
        (next < 0 ? input : all[Math.min(next, all.length - 1)]).focus();
      } else if (event.key === "Escape") { event.preventDefault(); input.focus(); }
    });
  }
  window.DrugSearch = { attach };
})();
