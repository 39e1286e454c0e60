"""A patient pays on a phone-sized page and follows the delivery live (Chromium, axe-core)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import DEMO_PASSWORD, PHONE, LiveServer, _copy_db, check_accessibility
from tests.insurance.test_http_gateway import MockInsurerProcess
from tests.pharmacy.conftest import ADDRESS

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
    page.click("#tile-orders")
    page.click(f"#awaiting a[data-prescription-id='{rx_id}']")  # "去支付" on his orders page
    page.wait_for_selector("#address-form")
    page.fill("#a-district", "")
    page.fill("#a-detail", "东")
    page.click("#save-address")
    page.wait_for_selector("#address-errors")  # every wrong field said in words, next to the field
    assert "区或县" in page.inner_text("#ae-district") and "门牌号" in page.inner_text("#ae-detail")
    check_accessibility(page, "pharmacy-address-errors-phone")
    page.fill("#a-district", "鼓楼区")
    page.fill("#a-detail", "东街134号3号楼502室")
    page.click("#save-address")
    page.wait_for_selector("#address-choices input:checked")  # back on the pay page, his address chosen
    check_accessibility(page, "pharmacy-pay-phone")
    page.click("#authorize-btn")
    page.wait_for_selector("#authorize-confirm")  # the insurer's own page
    assert "王建国" in page.inner_text("#psn-name") and page.inner_text("#auth-amount").startswith("¥")
    check_accessibility(page, "insurer-authorise-phone")
    page.click("#authorize-confirm")
    page.wait_for_selector("#split")
    assert page.inner_text("#q-fund") != "¥0.00"  # the first demo patient has met his deductible
    check_accessibility(page, "pharmacy-pay-split-phone")
    page.click("#pay-btn")
    page.wait_for_url(re.compile(r".*/orders/\d+$"))
    order_id = int(page.url.rstrip("/").split("/")[-1])
    page.wait_for_selector("#order-status:has-text('已支付')")
    assert page.locator("#timeline li.todo").count() == 5  # the steps still to come, greyed and said
    check_accessibility(page, "pharmacy-order-paid-phone")
    staff, dispatcher = _api(live_server, "pharm01"), _api(live_server, "disp01")
    delivery_id = staff("POST", f"/api/orders/{order_id}/dispense", json={})["delivery"]["id"]
    page.wait_for_selector("#timeline li.done:has-text('药房已发药')")
    courier = dispatcher("GET", "/api/couriers")[0]
    dispatcher("POST", f"/api/deliveries/{delivery_id}/courier", json={"courier_id": courier["id"]})
    for action in ("pack", "pick-up", "in-transit"):
        dispatcher("POST", f"/api/deliveries/{delivery_id}/{action}", json={})
    page.wait_for_selector("#timeline li.done:has-text('配送中')")
    page.wait_for_selector("#eta")
    assert page.get_attribute("#call-courier", "href") == "tel:" + courier["phone"]
    check_accessibility(page, "pharmacy-order-in-transit-phone")
    page.click("#confirm-receipt")
    page.wait_for_selector("#receipt-confirmed")
    assert "已送达" in page.inner_text("#order-status") and page.locator("#timeline li.todo").count() == 0
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


def test_a_failed_payment_says_what_to_do_next_and_paying_again_works(browser, live_server):
    """The insurer refuses once (an injected fault): the page says nothing was charged and to tap
    Pay again; the second tap pays."""
    rx_id = _approved_prescription(live_server)
    _api(live_server, PATIENT)("POST", "/api/addresses", json=ADDRESS)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#f-username", PATIENT)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.click("#tile-orders")
    page.click(f"#awaiting a[data-prescription-id='{rx_id}']")
    page.click("#authorize-btn")
    page.click("#authorize-confirm")
    page.wait_for_selector("#split")
    _api(live_server, "admin")("POST", "/api/insurance/mock/faults", json={"fail_next": 1, "infnos": ["2207"]})
    page.click("#pay-btn")
    page.wait_for_selector("#pay-error .alert")
    message = page.inner_text("#pay-error")
    assert "没有扣费" in message and "确认支付" in message, message
    check_accessibility(page, "pharmacy-pay-failed-phone")
    page.click("#pay-btn")
    page.wait_for_url(re.compile(r".*/orders/\d+$"))
    page.wait_for_selector("#order-status:has-text('已支付')")
    context.close()


@pytest.fixture
def insurer_process(tmp_path):
    """The mock insurer as its own process (stopped whatever happens)."""
    insurer = MockInsurerProcess(tmp_path / "mi.db", tmp_path / "mi.log")
    yield insurer
    insurer.stop()


@pytest.fixture
def http_server(insurer_process, demo_template_db, tmp_path):
    """The hospital on the demo data, talking to that insurer over HTTP."""
    env = {"INSURANCE_GATEWAY": "http", "INSURANCE_URL": insurer_process.url}
    server = LiveServer(_copy_db(demo_template_db, tmp_path / "live.db"), tmp_path / "server.log", env=env)
    yield server
    server.stop()


def test_the_insurer_as_its_own_process_serves_the_authorisation_page(browser, http_server, insurer_process):
    """INSURANCE_GATEWAY=http: the patient confirms on the insurer's own server (another origin)
    and comes back to the hospital's payment page with the split."""
    server, insurer = http_server, insurer_process
    rx_id = _approved_prescription(server)
    _api(server, PATIENT)("POST", "/api/addresses", json=ADDRESS)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        page.fill("#f-username", PATIENT)
        page.fill("#f-password", DEMO_PASSWORD)
        page.click("#login-submit")
        page.click("#tile-orders")
        page.click(f"#awaiting a[data-prescription-id='{rx_id}']")
        page.click("#authorize-btn")
        page.wait_for_selector("#authorize-confirm")
        assert page.url.startswith(insurer.url + "/mock-insurer/authorize")  # the insurer's page, not ours
        check_accessibility(page, "insurer-own-server-authorise-phone")
        page.click("#authorize-confirm")
        page.wait_for_selector("#split")
        assert page.url.startswith(server.url + "/orders/new")
        page.click("#pay-btn")
        page.wait_for_selector("#order-status:has-text('已支付')")
    finally:
        context.close()
