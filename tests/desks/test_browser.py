"""The desks walked in Chromium from each person's home: the dispatcher's board (a new parcel
arrives by itself; moves, several parcels to one courier, a confirmed failure, all without a
reload), the pharmacist's live queue and review, the administrator's dashboard against the rows
this test made, the expert's home. Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.browser_helpers import api_as, mark_page, not_reloaded, open_as
from tests.conftest import PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(300)]
PATIENT = "13800000001"


def _signed_prescription(server, approve: bool = False) -> int:
    """A consultation of the demo patient with the on-call cardiologist, a signed prescription."""
    patient, doctor = api_as(server, PATIENT), api_as(server, "doc28")
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
    # The demo patient already takes amlodipine (the demo data and every earlier renewal in this
    # live server): the doctor signs the renewal over the duplicate-therapy warning with a coded reason.
    override = {"override_code": "tolerated_for_years", "override_reason": "长期服用，血压控制良好，续开"}
    doctor("POST", f"/api/prescriptions/{rx['id']}/sign", json=override)
    if approve:
        api_as(server, "pharm01")("POST", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"})
    return rx["id"]


def _dispensed_order(server) -> dict:
    """A paid (self-pay) order of an approved prescription, dispensed at the hub: a new parcel."""
    rx_id = _signed_prescription(server, approve=True)
    address = {
        "recipient": "王建国",
        "mobile": PATIENT,
        "province": "福建省",
        "city": "福州市",
        "district": "鼓楼区",
        "detail": "东街134号3号楼502室",
    }
    token = server.login(PATIENT)
    response = requests.post(
        server.url + "/api/orders",
        json={"prescription_id": rx_id, "address": address},
        headers={"Idempotency-Key": f"desk-{rx_id}", "Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text[:300]
    order = response.json()
    return api_as(server, "pharm01")("POST", f"/api/orders/{order['id']}/dispense", json={})


def test_dispatcher_board_live_bulk_and_confirmed_failure(browser, live_server):
    first = _dispensed_order(live_server)
    page = open_as(browser, live_server, "disp01")
    context = page.context
    taps = 0
    assert page.is_visible("#home-dispatch")
    check_accessibility(page, "desks-dispatcher-home")
    page.click("#home-dispatch-open")
    taps += 1
    page.wait_for_selector("#board[data-live='1']", state="attached")
    mark_page(page)
    assert page.is_visible(f"#col-created #delivery-{first['delivery']['id']}")

    second = _dispensed_order(live_server)  # a new parcel arrives by itself
    second_id = second["delivery"]["id"]
    page.wait_for_selector(f"#col-created #delivery-{second_id}", timeout=15000)
    assert "新的待配送包裹" in page.inner_text("#live-updates")
    first_id = first["delivery"]["id"]
    for delivery_id in (first_id, second_id):
        page.click(f"#step-pack-{delivery_id}")
        taps += 1
        page.wait_for_selector(f"#col-packed #delivery-{delivery_id}")
    # Both packed parcels to one courier at once.
    page.check(f"#pick-{first_id}")
    page.check(f"#pick-{second_id}")
    page.select_option("#bulk-courier", index=0)
    page.click("#bulk-submit")
    taps += 4
    page.wait_for_selector("#board-done:has-text('已将 2 个包裹')")
    courier = page.inner_text(f"#delivery-{first_id} .courier")
    assert courier != "未指派" and courier == page.inner_text(f"#delivery-{second_id} .courier")
    check_accessibility(page, "desks-dispatch-board-desktop")
    for step, column in (("pick-up", "picked_up"), ("in-transit", "in_transit")):
        page.click(f"#step-{step}-{first_id}")
        page.wait_for_selector(f"#col-{column} #delivery-{first_id}")
    # "Failed" is a step of its own: open it, say why, confirm.
    assert not page.is_visible(f"#step-fail-{first_id}")
    page.click(f"#fail-open-{first_id}")
    page.select_option(f"#preset-{first_id}", label="无人在家")
    page.fill(f"#reason-{first_id}", "电话未接")
    check_accessibility(page, "desks-dispatch-fail-confirm")
    page.click(f"#step-fail-{first_id}")
    page.wait_for_selector(f"#col-failed #delivery-{first_id}")
    assert not_reloaded(page), "the board reloaded the page"
    status = api_as(live_server, "disp01")("GET", f"/api/deliveries/{first_id}")
    assert status["status"] == "failed" and status["failure_reason"] == "无人在家 电话未接"
    # Filters narrow the board in place.
    page.select_option("#filter-cold", "1")
    page.click("#board-filters button[type=submit]")
    page.wait_for_selector(f"#delivery-{second_id}", state="detached")
    assert not_reloaded(page)
    context.close()
    # A phone, in elder mode: still one column at a time and no sideways scrolling.
    page = open_as(browser, live_server, "disp01", PHONE)
    context = page.context
    page.click("#elder-switch")  # staff are not offered it: the switch at the top
    page.goto(live_server.url + "/dispatch")
    page.wait_for_selector("#board[data-live='1']", state="attached")
    check_accessibility(page, "desks-dispatch-board-phone-elder")
    context.close()


def test_pharmacist_queue_is_live_and_review_confirms(browser, live_server):
    page = open_as(browser, live_server, "pharm01")
    context = page.context
    before = int(page.inner_text("#home-review-count"))
    check_accessibility(page, "desks-pharmacist-home")
    page.click("#home-review-open")
    page.wait_for_selector("#review-queue[data-live='1']", state="attached")
    mark_page(page)
    rx_id = _signed_prescription(live_server)  # a doctor signs: the queue shows it without a reload
    page.wait_for_selector(f"#review-queue li[data-id='{rx_id}']", timeout=15000)
    assert int(page.inner_text("#queue-count")) == before + 1
    assert not_reloaded(page)
    check_accessibility(page, "desks-pharmacist-queue")
    page.click(f"#review-queue li[data-id='{rx_id}'] a")
    page.wait_for_selector("#rx-approve")
    check_accessibility(page, "desks-pharmacist-review")
    page.click("#rx-approve")
    page.wait_for_selector("#review-done")
    assert "已审核通过并签名" in page.inner_text("#review-done") and "已生效" in page.inner_text("#review-done")
    check_accessibility(page, "desks-pharmacist-approved")
    # A rejection with a preset reason and words of his own.
    other = _signed_prescription(live_server)
    page.wait_for_selector(f"#review-queue li[data-id='{other}']", timeout=15000)
    page.click(f"#review-queue li[data-id='{other}'] a")
    page.check("#preset-0")
    page.fill("#f-reason", "请核对剂量")
    page.click("#rx-reject")
    page.wait_for_selector("#review-done")
    assert "剂量超出推荐范围" in page.inner_text("#review-done") and "请核对剂量" in page.inner_text("#review-done")
    context.close()


def _figure(page, selector: str) -> int:
    return int(re.sub(r"[^\d]", "", page.inner_text(f"{selector} .value")) or 0)


def test_admin_dashboard_counts_the_rows_this_test_made(browser, live_server):
    page = open_as(browser, live_server, "admin")
    context = page.context
    check_accessibility(page, "desks-admin-home")
    page.click("#home-dashboard")
    page.wait_for_selector("#chart-hours svg rect", state="attached")
    consultations, signed = _figure(page, "#fig-consultations"), _figure(page, "#fig-rx")
    _signed_prescription(live_server)
    _signed_prescription(live_server, approve=True)
    page.click("#period-show")  # today again, with the new rows
    page.wait_for_selector("#chart-hours svg rect", state="attached")
    assert _figure(page, "#fig-consultations") == consultations + 2
    assert _figure(page, "#fig-rx") == signed + 2
    api = api_as(live_server, "admin")("GET", "/api/statistics")
    assert sum(api["consultations_by_hour"]) == consultations + 2 and api["prescriptions"]["signed"] == signed + 2
    for chart in ("departments", "hours", "duty", "money"):
        assert page.locator(f"#chart-{chart} svg").count() == 1
    check_accessibility(page, "desks-admin-dashboard")
    with page.expect_download() as download:
        page.click("#csv-download")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert f"prescriptions,signed,{signed + 2}" in text
    context.close()
    page = open_as(browser, live_server, "admin", PHONE)
    context = page.context
    page.goto(live_server.url + "/admin/dashboard")
    page.wait_for_selector("#chart-duty svg")
    check_accessibility(page, "desks-admin-dashboard-phone")
    page.goto(live_server.url + "/admin/audit")
    assert page.locator("#audit-table a[href^='/admin/audit?actor=']").count() > 0
    check_accessibility(page, "desks-admin-audit-phone")
    context.close()


def test_expert_home_has_a_join_button(browser, live_server):
    page = open_as(browser, live_server, "exp01")
    context = page.context
    page.wait_for_selector("#home-cases")
    check_accessibility(page, "desks-expert-home")
    join = page.locator("#home-cases a[id^='home-case-join-']").first
    join.click()
    page.wait_for_url(re.compile(r".*/expert-cases/\d+$"))
    context.close()
    page = open_as(browser, live_server, "doc28")
    context = page.context
    page.click("#home-shift-open")
    page.wait_for_selector("#my-shifts-1")
    check_accessibility(page, "desks-doctor-shifts")
    context.close()
