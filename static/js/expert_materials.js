// The case's materials in a viewer: images inline, PDFs in the browser's own PDF viewer (a frame of
// this site). The leader's "Show to everyone" opens the material on every participant's viewer.
//
// The room's socket comes through ExpertPanels.onRoomSocket (static/js/expert_panels.js: the
// interface with expert.js). Listens to `case.material` (a new material: {case_id, id, title,
// kind, content_type, url}) and `case.material_shown` (the same and {by}); the leader emits
// `case.show_material` {case_id, material_id} (acknowledged; refused for anyone else).
// Uploads go to POST /api/expert-cases/<id>/materials (multipart), so the call is never dropped.
// On every (re)connection the list is reloaded from the API.
(function () {
  "use strict";
  const root = document.getElementById("materials");
  if (!root) return;
  const { api, el } = window.App;
  const { onRoomSocket, showErrors, clearErrors } = window.ExpertPanels;
  const caseId = Number(root.dataset.caseId), leader = root.dataset.leader === "1";
  const $ = (id) => document.getElementById(id);
  let socket = null;

  const kinds = { lab: App.t("Lab result"), image: App.t("Image"), document: App.t("Document") };

  function materialUrl(id) { return `/api/expert-cases/${caseId}/materials/${id}`; }

  function addItem(m) {
    const list = $("material-list");
    if (list.querySelector(`li[data-material-id="${m.id}"]`)) return;
    const item = el("li", { "data-material-id": String(m.id), "data-type": m.content_type, "data-title": m.title },
      el("a", { href: materialUrl(m.id), "data-open": String(m.id), text: m.title }), " · ", el("span", { class: "kind", text: kinds[m.kind] || m.kind }));
    if (leader) {
      const button = el("button", { type: "button", class: "btn", "data-show": String(m.id), text: App.t("Show to everyone") });
      button.setAttribute("aria-label", `${App.t("Show to everyone")}: ${m.title}`);
      item.append(" ", button);
    }
    list.append(item);
    $("no-materials").hidden = true;
  }

  // Open a material in this page's viewer (images inline, PDFs in a frame).
  function open(id, title, type) {
    const pdf = type === "application/pdf";
    $("viewer-title").textContent = title;
    $("viewer-image").hidden = pdf; $("viewer-pdf").hidden = !pdf;
    if (pdf) { $("viewer-pdf").src = materialUrl(id); $("viewer-image").removeAttribute("src"); }
    else { $("viewer-image").src = materialUrl(id); $("viewer-image").alt = title; $("viewer-pdf").removeAttribute("src"); }
    $("material-viewer").hidden = false;
    $("material-viewer").dataset.materialId = String(id);
  }

  function showToEveryone(id) {
    const say = (text) => { $("material-shown").textContent = text; };
    if (!socket) { say(App.t("Not connected to the room yet.")); return; }
    socket.emit("case.show_material", { case_id: caseId, material_id: Number(id) }, (ack) => {
      if (!ack || !ack.ok) say("⚠ " + ((ack && (ack.message || ack.error)) || App.t("Could not show the material.")));
    });
  }

  $("material-list").addEventListener("click", (event) => {
    const show = event.target.closest("[data-show]");
    if (show) { showToEveryone(show.dataset.show); return; }
    const link = event.target.closest("[data-open]");
    if (!link) return;
    event.preventDefault();
    const item = link.closest("li");
    open(item.dataset.materialId, item.dataset.title, item.dataset.type);
  });
  $("viewer-close").addEventListener("click", () => { $("material-viewer").hidden = true; });

  if ($("material-form")) {
    $("material-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      const body = new FormData(form);
      body.delete("csrf_token");
      if (!$("f-file").files.length) body.delete("file");
      $("upload").disabled = true;
      try {
        const material = await api("POST", `/api/expert-cases/${caseId}/materials`, body);
        clearErrors(form); form.reset(); addItem(material);
      } catch (err) {
        showErrors(form, "material", err);
      } finally {
        $("upload").disabled = false;
      }
    });
  }

  async function refresh() {  // what was shared while the socket was away
    (await api("GET", `/api/expert-cases/${caseId}/materials`)).forEach(addItem);
  }

  onRoomSocket((s) => {
    socket = s;
    socket.on("connect", () => refresh().catch(() => {}));
    socket.on("case.material", (m) => { if (m.case_id === caseId) addItem(m); });
    socket.on("case.material_shown", (m) => {
      if (m.case_id !== caseId) return;
      addItem(m);
      open(m.id, m.title, m.content_type);
      $("material-shown").textContent = App.t("%(name)s shows: %(title)s", { name: m.by, title: m.title });
    });
  });
  window.ExpertMaterials = { open, shown: () => $("material-viewer").dataset.materialId || null };
})();
