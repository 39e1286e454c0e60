"""A patient pays on a phone-sized page and follows the delivery live (Chromium, axe-core)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import DEMO_PASSWORD, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(240)]
PATIENT = "13800000001"


def _api(server, username):
    headers = {"Authorization": f"Bearer {server.login(username)}"}

    def call(method, path, **kwargs):
        response = requests.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code < 300, (path, response.text[:300])
        return response.json()

    return call


def _approved_prescription(server) -> int:
    patient, doctor, pharmacist = _api(server, PATIENT), _api(server, "doc28"), _api(server, "pharm01")
    diagnosis = next(d for d in patient("GET", "/api/diagnoses") if d["icd10"] == "I10")
    card = next(d for d in patient("GET", "/api/departments") if d["code"] == "CARD")
    consultation = patient(
        "POST",
        "/api/consultations",
        json={"department_id": card["id"], "diagnosis_id": diagnosis["id"], "complaint": "续开降压药"},
    )
    doctor("POST", f"/api/consultations/{consultation['id']}/accept", json={})
    rx = doctor(
        "POST",
        "/api/prescriptions",
        json={
            "consultation_id": consultation["id"],
            "items": [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}],
        },
    )
    doctor("POST", f"/api/prescriptions/{rx['id']}/sign", json={})
    pharmacist("POST", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"})
    return rx["id"]


def test_patient_pays_and_follows_the_delivery_on_a_phone(browser, live_server):
    rx_id = _approved_prescription(live_server)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#f-username", PATIENT)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.goto(f"{live_server.url}/orders/new?prescription={rx_id}")
    page.fill("#f-city", "福州市")
    page.fill("#f-district", "鼓楼区")
    page.fill("#f-detail", "东")
    page.click("#get-voucher")
    page.wait_for_selector("#quote:not([hidden]), #form-error p, #e-token:not(:empty)")
    assert page.is_visible("#quote"), page.inner_text("#pay-form")
    assert page.inner_text("#q-cash").startswith("¥")
    check_accessibility(page, "pharmacy-pay-phone")
    page.click("#pay-btn")
    page.wait_for_selector("#e-detail:has-text('街道')")  # a wrong address is said in words, next to the field
    page.fill("#f-detail", "东街134号3号楼502室")
    page.click("#pay-btn")
    page.wait_for_url(re.compile(r".*/orders/\d+$"))
    order_id = int(page.url.rstrip("/").split("/")[-1])
    page.wait_for_selector("#order-status:has-text('已支付')")
    check_accessibility(page, "pharmacy-order-paid-phone")
    staff, dispatcher = _api(live_server, "pharm01"), _api(live_server, "disp01")
    delivery_id = staff("POST", f"/api/orders/{order_id}/dispense", json={})["delivery"]["id"]
    page.wait_for_selector("#timeline:has-text('药房已发药')")
    courier = dispatcher("GET", "/api/couriers")[0]["id"]
    dispatcher("POST", f"/api/deliveries/{delivery_id}/courier", json={"courier_id": courier})
    for action in ("pack", "pick-up", "in-transit"):
        dispatcher("POST", f"/api/deliveries/{delivery_id}/{action}", json={})
    page.wait_for_selector("#timeline:has-text('配送中')")
    dispatcher("POST", f"/api/deliveries/{delivery_id}/deliver", json={"received_by": "王建国本人"})
    page.wait_for_selector("#order-status:has-text('已送达')")
    assert "王建国本人" in page.inner_text("#timeline")
    check_accessibility(page, "pharmacy-order-delivered-phone")
    context.close()


def test_staff_pages_are_accessible(browser, live_server):
    from tests.conftest import DESKTOP

    for username, path, name in (("pharm01", "/pharmacy", "pharmacy-desk"), ("disp01", "/dispatch", "dispatch-board")):
        context = browser.new_context(**DESKTOP)
        page = context.new_page()
        page.goto(live_server.url + "/login")
        page.fill("#f-username", username)
        page.fill("#f-password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.goto(live_server.url + path)
        check_accessibility(page, name)
        context.close()
