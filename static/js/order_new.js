// Pay page: validate the address, show the pre-settled split, pay once (Idempotency-Key).
(function () {
  "use strict";
  const form = document.getElementById("pay-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  let key = null;
  let keyBody = null;

  function body() {
    const f = new FormData(form);
    const selfPay = f.get("pay") === "self";
    const address = {};
    ["recipient", "mobile", "province", "city", "district", "detail"].forEach((n) => { address[n] = (f.get(n) || "").trim(); });
    return {
      prescription_id: Number(form.dataset.prescriptionId),
      pharmacy_id: Number(f.get("pharmacy_id")) || null,
      voucher_token: selfPay ? null : (f.get("voucher_token") || "").trim() || null,
      address,
    };
  }

  function clearErrors() {
    form.querySelectorAll(".error-text").forEach((p) => { p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    $("form-error").textContent = "";
  }

  function showError(err) {
    const data = err.data || {};
    const fields = (data.errors && data.errors.json) || {};
    const names = Object.keys(fields).flatMap((k) => (k === "address" ? Object.keys(fields[k]) : [k]));
    let placed = false;
    names.forEach((name) => {
      const target = $("e-" + (name === "voucher_token" ? "token" : name));
      const input = $("f-" + (name === "voucher_token" || name === "token" ? "voucher" : name));
      if (target) { target.textContent = "⚠ " + (data.message || err.message); placed = true; }
      if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
    });
    if (!placed) $("form-error").innerHTML = "";
    if (!placed) $("form-error").append(App.el("p", { class: "alert error", text: "⚠ " + (data.message || err.message) }));
  }

  async function showQuote() {
    clearErrors();
    const b = body();
    try {
      const q = await App.api("POST", "/api/orders/quote", {
        prescription_id: b.prescription_id, voucher_token: b.voucher_token, pharmacy_id: b.pharmacy_id,
      });
      $("q-drugs").textContent = App.yuan(q.drug_total_fen);
      $("q-fee").textContent = App.yuan(q.delivery_fee_fen);
      $("q-fund").textContent = App.yuan(q.fund_pay_fen);
      $("q-acct").textContent = App.yuan(q.acct_pay_fen);
      $("q-cash").textContent = App.yuan(q.cash_pay_fen);
      $("quote").hidden = false;
    } catch (err) { showError(err); }
  }

  async function getVoucher() {
    clearErrors();
    try {
      const v = await App.api("POST", "/api/insurance/vouchers", {});
      $("f-voucher").value = v.token;
      App.announce(App.t("Your e-voucher is filled in"));
      showQuote();
    } catch (err) { showError(err); }
  }

  async function pay(event) {
    event.preventDefault();
    clearErrors();
    const b = body();
    const text = JSON.stringify(b);
    if (text !== keyBody) { key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(); keyBody = text; }
    $("pay-btn").disabled = true;
    $("pay-progress").textContent = App.t("Paying, please wait…");
    try {
      const order = await App.api("POST", "/api/orders", b, { "Idempotency-Key": key });
      $("pay-progress").textContent = App.t("Paid");
      location.assign("/orders/" + order.id);
    } catch (err) {
      $("pay-progress").textContent = "";
      if (err.status === 409 && err.data && err.data.reason === "idempotency_in_progress") {
        $("pay-progress").textContent = App.t("The last attempt is still running; press Pay again in a moment.");
      } else if (err.status >= 500 || !err.status) {
        // The outcome may be unknown: keep the key so that pressing Pay again cannot pay twice.
        showError(err);
      } else { keyBody = null; showError(err); }
      $("pay-btn").disabled = false;
    }
  }

  form.querySelectorAll('input[name="pay"]').forEach((r) => r.addEventListener("change", () => {
    $("voucher-field").hidden = r.value === "self" && r.checked;
    if (r.checked) $("voucher-field").hidden = r.value === "self";
  }));
  $("quote-btn").addEventListener("click", showQuote);
  $("get-voucher").addEventListener("click", getVoucher);
  form.addEventListener("submit", pay);
})();
