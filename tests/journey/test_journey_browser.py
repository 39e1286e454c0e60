"""The patient's side of the journey on a 390×844 phone in elder mode, by tapping alone:
renew from 我的用药 (two chronic diagnoses: the renewal carries the tapped prescription's diagnosis
and department), and pay from the live approval notice, the home banner, the list and the page."""

from __future__ import annotations

import re
import sqlite3

import pytest

from tests.browser_helpers import Taps, min_size, open_as
from tests.conftest import PHONE, check_accessibility
from tests.journey.helpers import DIABETES, HYPERTENSION, PATIENT, approved_prescription, bearer, call
from tests.journey.test_qr_verify import HttpClient

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _elder_phone(browser, url: str):
    """The demo patient on a phone, who accepts elder mode when it is offered."""
    page = open_as(browser, url, PATIENT, PHONE, locale="zh-CN")
    page.click("#elder-offer-yes")
    page.wait_for_load_state()
    assert page.evaluate("() => document.documentElement.classList.contains('elder')")
    return page


def test_renew_from_my_medicines_with_two_chronic_diagnoses(browser, live_server):
    client = HttpClient(live_server.url)
    approved_prescription(client, HYPERTENSION)
    sugar = approved_prescription(client, DIABETES)
    page = _elder_phone(browser, live_server.url)
    taps = Taps(page, "journey-renew")
    taps.touch_to("#tile-renew", "my-medicines")
    assert page.url.endswith("/medicines")
    assert page.locator(".medicine").count() == 2
    assert min_size(page, ".btn.renew") >= 60  # elder mode: big targets
    soon = page.locator(f'.medicine[data-prescription="{sugar["id"]}"]')
    assert "还剩 5 天" in soon.inner_text() and "2型糖尿病" in soon.inner_text()
    taps.touch_to(f'.medicine[data-prescription="{sugar["id"]}"] button.renew', "renewal-opened")
    consultation_id = int(re.search(r"/consultations/(\d+)$", page.url).group(1))
    assert taps.count == 2  # home → my medicines → renewal: nothing to choose
    con = sqlite3.connect(live_server.db_path)
    try:
        diagnosis_id, department_id, renewal_of = con.execute(
            "select diagnosis_id, department_id, renewal_of_prescription_id from consultations where id = ?",
            (consultation_id,),
        ).fetchone()
        code = con.execute("select code from departments where id = ?", (department_id,)).fetchone()[0]
    finally:
        con.close()
    assert (diagnosis_id, department_id, renewal_of) == (sugar["diagnosis_id"], sugar["department_id"], sugar["id"])
    assert code == "ENDO"
    assert "2型糖尿病" in page.inner_text("main") and "内分泌科" in page.inner_text("main")


def test_pay_from_the_live_notice_the_banner_the_list_and_the_page(browser, live_server):
    client = HttpClient(live_server.url)
    rx = approved_prescription(client, HYPERTENSION, approve=False)  # signed, waiting for review
    page = _elder_phone(browser, live_server.url)
    page.wait_for_function("() => window.App && App.connect() && App.connect().connected")
    unread = int(page.inner_text("#notify-count") or 0)
    call(
        client, bearer(client, "pharm01"), "post", f"/api/prescriptions/{rx['id']}/review", json={"decision": "approve"}
    )
    toast = page.locator("#toasts .toast").first
    toast.wait_for(timeout=15000)
    assert "处方已通过审核，请支付" in toast.inner_text() and "prescription." not in page.inner_text("body")
    assert int(page.inner_text("#notify-count")) == unread + 1  # the menu's count, live
    check_accessibility(page, "journey-pay-01-live-notice")
    pay = f"/orders/new?prescription={rx['id']}"
    assert toast.locator(f'a[href="{pay}"]').inner_text() == "去支付"
    # The home banner after a reload, in words, with the deadline.
    page.reload()
    banner = page.locator("#to-pay")
    assert re.search(r"1 张处方待支付，有效至 \d+月\d+日 24:00", banner.inner_text())
    assert min_size(page, "#to-pay .btn.pay") >= 60
    check_accessibility(page, "journey-pay-02-home-banner")
    # The list and the prescription page carry the button too; the page's leads to the payment page.
    page.locator("#nav-more summary").tap()  # elder mode: the prescriptions are under 更多
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/prescriptions']").tap()
    assert page.locator(f'#rx-list a.pay[href="{pay}"]').count() == 1
    with page.expect_navigation():
        page.locator(f"#rx-list a[href='/prescriptions/{rx['id']}']").first.tap()
    check_accessibility(page, "journey-pay-03-prescription")
    with page.expect_navigation():
        page.locator("#rx-pay").tap()
    assert page.url.endswith(pay)
    check_accessibility(page, "journey-pay-04-payment-page")


def test_the_request_form_asks_the_diagnosis_and_the_department_follows(browser, live_server):
    page = _elder_phone(browser, live_server.url)
    with page.expect_navigation():
        page.locator("nav.mainnav a[href='/medicines']").tap()
    with page.expect_navigation():
        page.locator("#other-consultation").tap()
    assert page.input_value("#f-department_id") == ""  # two diagnoses: nothing guessed
    assert "请先选择诊断" in page.inner_text("#on-duty")
    page.get_by_label(re.compile("2型糖尿病")).check()
    assert page.locator("#f-department_id option:checked").inner_text() == "内分泌科"
    page.wait_for_function("() => !document.querySelector('#on-duty').innerText.includes('请先选择诊断')")
    check_accessibility(page, "journey-request-diagnosis-first")
    page.fill("#f-complaint", "血糖控制不好，想调整用药")
    with page.expect_navigation():
        page.locator("#start-consultation").tap()
    assert re.search(r"/consultations/\d+$", page.url) and "内分泌科" in page.inner_text("main")
