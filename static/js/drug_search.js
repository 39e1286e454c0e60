// Type-ahead drug search: Chinese name, generic name or pinyin initials (aldp → 氨氯地平).
(function () {
  "use strict";
  function attach(input, list, status, strings, onChoose) {
    let timer = null, seq = 0;
    function clear() { list.replaceChildren(); input.setAttribute("aria-expanded", "false"); }
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
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search().catch((e) => { status.textContent = e.message; }), 150); });
  }
  window.DrugSearch = { attach };
})();
