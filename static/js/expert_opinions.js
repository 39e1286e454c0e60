// The room's opinions and consolidated opinion, live for everyone and sent without a page reload
// (a reload would drop the call).
//
// The room's socket comes through ExpertPanels.onRoomSocket (static/js/expert_panels.js: the
// interface with expert.js). The room joins "case:<id>"; this panel only listens on that socket:
//   `case.opinion` {case_id, id, action: created|edited, user_id, expert_name, hospital, text,
//   created_at, edited_at} and `case.conclusion` {case_id, diagnosis, treatment_advice, answers,
//   signed_by, signed_at}. On every (re)connection it reloads the list from the API.
// Writes go to the API (POST/PATCH /api/expert-cases/<id>/opinions, POST …/conclusion); an error
// is said in words next to the field it names.
(function () {
  "use strict";
  const root = document.getElementById("opinions");
  if (!root) return;
  const { api, el, fmtTime } = window.App;
  const { onRoomSocket, showErrors, clearErrors } = window.ExpertPanels;
  const caseId = Number(root.dataset.caseId), selfId = Number(root.dataset.self);
  const canWrite = root.dataset.canWrite === "1";
  const $ = (id) => document.getElementById(id);

  function render(o) {
    const list = $("opinion-list");
    let item = list.querySelector(`li[data-opinion-id="${o.id}"]`);
    if (!item) {
      item = el("li", { "data-opinion-id": String(o.id), "data-user-id": String(o.user_id) },
        el("strong", { class: "who" }), " (", el("span", { class: "hospital" }), ") · ", el("span", { class: "when" }),
        el("span", { class: "edited", text: " · " + App.t("edited") }), el("p", { class: "text" }));
      if (canWrite && o.user_id === selfId) {
        item.append(el("button", { type: "button", class: "btn", "data-edit": String(o.id), text: App.t("Edit my opinion") }));
      }
      list.append(item);
    }
    item.querySelector(".who").textContent = o.expert_name;
    item.querySelector(".hospital").textContent = o.hospital;
    item.querySelector(".when").textContent = fmtTime(o.created_at);
    item.querySelector(".edited").hidden = !o.edited_at;
    item.querySelector(".text").textContent = o.text;
    $("no-opinions").hidden = true;
    $("opinion-count").textContent = `(${list.children.length})`;
    return item;
  }

  function renderConclusion(c) {
    $("c-diagnosis").textContent = c.diagnosis;
    $("c-advice").textContent = c.treatment_advice;
    const answers = $("c-answers"); answers.textContent = "";
    (c.answers || []).forEach((a) => answers.append(el("li", { text: `${a.question} — ${a.answer}` })));
    $("c-signed").textContent = App.t("Signed by %(name)s at %(at)s", { name: c.signed_by, at: fmtTime(c.signed_at) }) + " · Ed25519";
    $("conclusion-view").hidden = false;
    for (const id of ["conclusion-form", "no-conclusion", "opinion-form"]) if ($(id)) $(id).hidden = true;
  }

  async function refresh() {
    const opinions = await api("GET", `/api/expert-cases/${caseId}/opinions`);
    opinions.forEach(render);
  }

  function startEdit(id) {
    const item = $("opinion-list").querySelector(`li[data-opinion-id="${id}"]`);
    $("f-opinion-id").value = id;
    $("f-opinion").value = item.querySelector(".text").textContent;
    $("opinion-submit").textContent = App.t("Save the correction");
    $("opinion-cancel").hidden = false;
    $("f-opinion").focus();
  }

  function endEdit() {
    $("f-opinion-id").value = ""; $("f-opinion").value = "";
    $("opinion-submit").textContent = App.t("Record my opinion");
    $("opinion-cancel").hidden = true;
  }

  async function submitOpinion(event) {
    event.preventDefault();
    const form = event.currentTarget, id = $("f-opinion-id").value, text = $("f-opinion").value;
    $("opinion-submit").disabled = true;
    try {
      const opinion = id
        ? await api("PATCH", `/api/expert-cases/${caseId}/opinions/${id}`, { text })
        : await api("POST", `/api/expert-cases/${caseId}/opinions`, { text });
      render({ ...opinion, action: id ? "edited" : "created" });
      clearErrors(form); endEdit();
      $("opinion-status").textContent = App.t("Your opinion is recorded; the room sees it.");
    } catch (err) {
      showErrors(form, "opinion", err);
    } finally {
      $("opinion-submit").disabled = false;
    }
  }

  async function submitConclusion(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const answers = [...form.querySelectorAll('[name="answers"]')].map((node) => node.value);
    const body = { diagnosis: $("f-diagnosis").value, treatment_advice: $("f-advice").value, answers };
    $("conclude").disabled = true;
    try {
      const signed = await api("POST", `/api/expert-cases/${caseId}/conclusion`, body);
      clearErrors(form);
      renderConclusion({ ...signed, signed_by: App.t("me") });
    } catch (err) {
      showErrors(form, "conclusion", err);
      $("conclude").disabled = false;
    }
  }

  if ($("opinion-form")) {
    $("opinion-form").addEventListener("submit", submitOpinion);
    $("opinion-cancel").addEventListener("click", endEdit);
    $("opinion-list").addEventListener("click", (event) => {
      const button = event.target.closest("[data-edit]");
      if (button) startEdit(button.dataset.edit);
    });
  }
  if ($("conclusion-form")) $("conclusion-form").addEventListener("submit", submitConclusion);

  onRoomSocket((socket) => {
    socket.on("case.opinion", (o) => {
      if (o.case_id !== caseId) return;
      render(o); // (the room page announces it)
    });
    socket.on("case.conclusion", (c) => { if (c.case_id === caseId) renderConclusion(c); });
    socket.on("connect", () => refresh().catch(() => {})); // what was said while the socket was away
  });
})();
