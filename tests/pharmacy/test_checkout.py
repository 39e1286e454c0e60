"""The payment page end to end in the app: a saved address chosen, the insurer's authorisation
page, the split shown before paying, a paid order; bad or someone else's authorisations said in
words; then following the delivery and "确认收货"."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

from core import clock
from core.extensions import db
from insurance.mock_insurer import residents
from insurance.mock_insurer.policy import POLICY
from pharmacy.models import Order
from tests.conftest import GOOD_PASSWORD, page_login, valid_id
from tests.pharmacy.conftest import ADDRESS, AML
from tests.pharmacy.test_dispense_delivery import _courier, _dispense, _step

PATIENT = "13800000001"


def _new_patient(shop, phone="13912340000") -> dict:
    """A patient registered today, never enrolled: his ID derives to an employee past his deductible."""
    certno = next(
        c
        for c in (valid_id("19580615", f"{n:03d}") for n in range(1, 1000))
        if (d := residents.derive(c, POLICY, clock.today())).deductible_met and d.insutype == residents.EMPLOYEE
    )
    body = {"name": "新来的", "id_number": certno, "phone": phone, "password": GOOD_PASSWORD}
    assert shop.client.post("/api/auth/register", json=body).status_code == 201
    return {"phone": phone, "id": shop.user(phone).id}


def _authorise(shop, prescription_id: int, address_id: int | None = None) -> str:
    """Tap "医保电子凭证支付", confirm on the insurer's page; the address the patient comes back to."""
    start = shop.client.get(f"/orders/new/authorize?prescription={prescription_id}&address={address_id or ''}")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    insurer_page = start.headers["Location"]
    assert insurer_page.startswith("/mock-insurer/authorize?req=")
    req = parse_qs(urlsplit(insurer_page).query)["req"][0]
    back = shop.client.post(insurer_page, data={"req": req, "decision": "confirm"})
    assert back.status_code == 303
    return back.headers["Location"]


def test_a_new_patient_pays_with_the_e_voucher_and_the_fund_pays_its_share(shop):
    patient = _new_patient(shop)
    pid = shop.rx.add(patient["id"], lines=(AML,))
    page_login(shop.client, patient["phone"], GOOD_PASSWORD)
    address = shop.client.post("/api/addresses", json=ADDRESS, headers={"X-CSRFToken": _csrf(shop)}).get_json()
    first = shop.client.get(f"/orders/new?prescription={pid}").get_data(as_text=True)
    assert f'id="addr-{address["id"]}" name="address_id" value="{address["id"]}" checked' in first
    assert "医保电子凭证支付" in first and 'id="pay-btn"' not in first  # authorise before paying
    back = _authorise(shop, pid, address["id"])
    params = parse_qs(urlsplit(back).query)
    assert params["prescription"] == [str(pid)] and params["address"] == [str(address["id"])]
    page = shop.client.get(back).get_data(as_text=True)
    assert 'id="authorised"' in page and 'id="pay-btn"' in page
    quote = shop.client.post(
        "/api/orders/quote",
        json={"prescription_id": pid, "voucher_token": params["ec_token"][0]},
        headers={"X-CSRFToken": _csrf(shop)},
    ).get_json()
    assert quote["fund_pay_fen"] > 0 and f"¥{quote['fund_pay_fen'] / 100:.2f}" in page
    paid = shop.client.post(
        "/api/orders",
        json={"prescription_id": pid, "address_id": address["id"], "voucher_token": params["ec_token"][0]},
        headers={"Idempotency-Key": uuid.uuid4().hex, "X-CSRFToken": _csrf(shop)},
    )
    order = paid.get_json()
    assert paid.status_code == 201, order
    assert order["status"] == "paid" and order["fund_pay_fen"] == quote["fund_pay_fen"] > 0
    assert db.session.get(Order, order["id"]).address_detail == ADDRESS["detail"]  # the saved address, copied


def _csrf(shop) -> str:
    html = shop.client.get("/orders").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_bad_or_someone_elses_authorisation_is_said_in_words(shop):
    patient = _new_patient(shop)
    pid = shop.rx.add(patient["id"], lines=(AML,))
    page_login(shop.client, patient["phone"], GOOD_PASSWORD)
    forged = shop.client.get(f"/orders/new?prescription={pid}&ec_token=ec1.forged.token").get_data(as_text=True)
    assert 'id="voucher-problem"' in forged and "不是有效的医保电子凭证" in forged and 'id="pay-btn"' not in forged
    someone_else = shop.voucher(PATIENT)  # a demo patient's own voucher
    page = shop.client.get(f"/orders/new?prescription={pid}&ec_token={someone_else}").get_data(as_text=True)
    assert "不属于您本人" in page and 'id="pay-btn"' not in page
    cancelled = shop.client.get(f"/orders/new?prescription={pid}&insurer_error=cancelled").get_data(as_text=True)
    assert 'id="voucher-cancelled"' in cancelled and "没有授权" in cancelled


def test_the_payment_page_is_only_for_the_patients_own_prescription(shop):
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(AML,))
    stranger = _new_patient(shop)
    page_login(shop.client, stranger["phone"], GOOD_PASSWORD)
    assert shop.client.get(f"/orders/new?prescription={pid}").status_code == 404
    start = shop.client.get(f"/orders/new/authorize?prescription={pid}")
    assert start.status_code == 302 and "/mock-insurer/" not in start.headers["Location"]


def _in_transit(shop, cold=False) -> dict:
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(AML,))
    order = shop.pay(PATIENT, pid, shop.voucher()).get_json()
    delivery_id = _dispense(shop, order["id"]).get_json()["delivery"]["id"]
    shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(cold)}, headers=shop.login("disp01")
    )
    for action in ("pack", "pick-up", "in-transit"):
        assert _step(shop, delivery_id, action).status_code == 200
    return order


def test_the_patient_follows_his_parcel_and_confirms_receipt(shop):
    order = _in_transit(shop)
    page_login(shop.client, PATIENT)
    html = shop.client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert order["ref"][-8:] in html and 'id="order-no">' + order["ref"][-8:] in html
    assert 'href="tel:' in html and 'id="eta"' in html and "预计送达" in html
    assert html.count('class="todo"') == 1 and "尚未进行" in html  # "delivered" still to come, greyed and said
    token = _csrf(shop)
    done = shop.client.post(f"/orders/{order['id']}/receipt", data={"csrf_token": token})
    assert done.status_code == 302
    after = shop.client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "已确认收货" in after or "您已于" in after
    assert 'class="todo"' not in after and 'id="confirm-receipt"' not in after and 'id="eta"' not in after
    api = shop.client.get(f"/api/orders/{order['id']}", headers=shop.login(PATIENT)).get_json()
    assert api["status"] == "delivered" and api["delivery"]["status"] == "delivered"
    again = shop.client.post(f"/orders/{order['id']}/receipt", data={"csrf_token": token})
    assert again.status_code == 302  # saying it twice changes nothing


def test_receipt_before_the_parcel_leaves_is_refused_in_words(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(AML,))
    order = shop.pay(PATIENT, pid, shop.voucher()).get_json()
    page_login(shop.client, PATIENT)
    html = shop.client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert 'id="confirm-receipt"' not in html and html.count('class="todo"') == 5
    response = shop.client.post(f"/orders/{order['id']}/receipt", data={"csrf_token": _csrf(shop)})
    page = shop.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "药品送出后才能确认收货" in page


def test_another_patient_cannot_confirm_receipt(shop):
    order = _in_transit(shop)
    stranger = _new_patient(shop)
    page_login(shop.client, stranger["phone"], GOOD_PASSWORD)
    assert shop.client.get(f"/orders/{order['id']}").status_code == 404
    assert shop.client.post(f"/orders/{order['id']}/receipt", data={"csrf_token": _csrf(shop)}).status_code == 404
