// Pay page: one tap on an address, off to the insurer's page to authorise, then pay once
// (Idempotency-Key), with progress while paying and, on failure, what to do next.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("pay-form");
  const authorize = $("authorize-btn");
  let key = null;
  let keyBody = null;

  // Choosing an address: the authorise link and the payment carry it (no reload needed).
  document.querySelectorAll('input[name="address_id"]').forEach((radio) => radio.addEventListener("change", () => {
    if (!radio.checked) return;
    if (authorize) authorize.href = authorize.dataset.base + "&address=" + encodeURIComponent(radio.value);
    if (form) { form.dataset.addressId = radio.value; $("pay-btn").disabled = false; }
  }));

  if (!form) return;

  function nextStep(err) {
    const data = err.data || {};
    const reason = data.reason || "";
    if (reason.startsWith("voucher_")) return App.t("Tap “Pay with the e-voucher” to authorise again; nothing was charged.");
    if (reason === "out_of_stock") return App.t("Nothing was charged. The pharmacy is restocking; try again later or call the pharmacy.");
    if (reason === "already_ordered") return App.t("This prescription is already paid: see My orders.");
    if (reason === "invalid_address" || (data.errors && data.errors.json && (data.errors.json.mobile || data.errors.json.recipient || data.errors.json.detail))) {
      return App.t("Correct the address in your address book, then pay again.");
    }
    if (reason === "insurer_unavailable" || reason === "insurer_unreachable") return App.t("Nothing was charged. Tap Pay again in a minute.");
    if (err.status === 503 || !err.status) return App.t("The insurer has not answered yet. You cannot be charged twice: tap Pay again in a minute.");
    return App.t("Nothing was charged. Try again, or call the hospital if it keeps failing.");
  }

  function showError(err) {
    const box = $("pay-error");
    box.innerHTML = "";
    const message = (err.data && err.data.message) || err.message || "";
    box.append(App.el("p", { class: "alert error", text: "⚠ " + message + " " + nextStep(err) }));
    const reason = (err.data && err.data.reason) || "";
    if (reason.startsWith("voucher_") && authorize) authorize.focus();
  }

  function progress(text) {
    $("pay-progress").hidden = !text;
    $("pay-progress-text").textContent = text || "";
  }

  async function pay(event) {
    event.preventDefault();
    $("pay-error").innerHTML = "";
    const body = {
      prescription_id: Number(form.dataset.prescriptionId),
      address_id: Number(form.dataset.addressId) || null,
      voucher_token: form.dataset.voucher || null,
    };
    const text = JSON.stringify(body);
    if (text !== keyBody) { key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(); keyBody = text; }
    $("pay-btn").disabled = true;
    progress(App.t("Paying, please wait…"));
    try {
      const order = await App.api("POST", "/api/orders", body, { "Idempotency-Key": key });
      progress(App.t("Paid"));
      location.assign("/orders/" + order.id);
    } catch (err) {
      progress("");
      if (err.status === 409 && err.data && err.data.reason === "idempotency_in_progress") {
        progress(App.t("The last attempt is still running; press Pay again in a moment."));
      } else {
        // 5xx or no answer: the outcome may be unknown, so keep the key (a retry cannot pay twice).
        if (err.status && err.status < 500) keyBody = null;
        showError(err);
      }
      $("pay-btn").disabled = false;
    }
  }

  form.addEventListener("submit", pay);
})();
