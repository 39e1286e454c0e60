"""Journeys walked by clicking that had no browser test of their own: the administrator plans and
removes a shift from his menu; the patient follows his parcel from one live notice that each step
replaces, then finds it again in his notifications; a patient with no running medicine is led
from "续方" to the request form by the page's main button."""

from __future__ import annotations

import re

import pytest

from tests.browser_helpers import Taps, api_as, min_size, open_as, shot
from tests.conftest import DESKTOP, PHONE, check_accessibility
from tests.desks.test_browser import _dispensed_order

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(300)]
PATIENT = "13800000001"  # 王建国: two chronic diagnoses, no running prescription in the demo data
TIMEOUT = 15000


def test_admin_adds_and_removes_a_shift_from_his_menu(browser, live_server):
    page = open_as(browser, live_server, "admin", DESKTOP, timeout=TIMEOUT)
    taps = Taps(page, "journeys/admin-rota")
    taps.touch_to("nav.mainnav a[href='/admin/rota']", "week")
    assert "24小时值班 08:00–次日 08:00" in page.inner_text("main")  # not "08:00–08:00"
    # Each day's remove button keeps its words on one line (it broke into 删 / 除… before).
    assert page.locator("#rota-table a[id^='remove-']").count() > 0
    assert max(b["height"] for b in _boxes(page, "#rota-table a[id^='remove-']")) < 50
    taps.touch_to("a:has-text('下周')", "next-week")
    taps.touch_to("a:has-text('下周')", "week-after")  # beyond the demo rota: an empty week
    start = page.input_value("#s-day")
    taps.select("#s-doctor", label="黄秀英 (doc03)")
    taps.select("#s-kind", "morning")
    taps.touch_to("#add-shift-submit", "added")
    remove = page.locator("#rota-table a[id^='remove-']")
    assert remove.count() == 1 and "上午班 · 0/10" in page.inner_text("#rota-table")
    taps.touch_to("#rota-table a[id^='remove-']", "confirm")
    year, month, day = (int(part) for part in start.split("-"))
    confirm = page.inner_text("#confirm-remove")  # the day once, in words: not "2026-12-16 08:00–2026-12-16 12:00"
    assert f"{month}月{day}日的上午班（08:00–12:00）" in confirm and start not in confirm, confirm
    taps.touch_to("#confirm-remove-yes", "removed")
    assert page.locator("#rota-table a[id^='remove-']").count() == 0
    assert taps.count == 8, taps.count  # menu, two weeks on, doctor, shift, add, remove, confirm


def _boxes(page, selector: str) -> list[dict]:
    return [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]


def test_delivery_steps_share_one_live_notice_and_the_notification_opens_the_order(browser, live_server):
    order = _dispensed_order(live_server)
    delivery_id, order_url = order["delivery"]["id"], f"/orders/{order['id']}"
    page = open_as(browser, live_server, PATIENT, PHONE, timeout=TIMEOUT, locale="zh-CN")
    page.click("#elder-offer-yes")
    page.wait_for_selector("html.elder")
    page.wait_for_function("() => window.App && App.connect() && App.connect().connected")
    dispatcher = api_as(live_server, "disp01")
    courier = dispatcher("GET", "/api/couriers")[0]
    dispatcher("POST", f"/api/deliveries/{delivery_id}/pack", json={})
    dispatcher("POST", f"/api/deliveries/{delivery_id}/courier", json={"courier_id": courier["id"]})
    dispatcher("POST", f"/api/deliveries/{delivery_id}/pick-up", json={})
    dispatcher("POST", f"/api/deliveries/{delivery_id}/in-transit", json={})
    page.wait_for_selector("#toasts .toast:has-text('配送中')")
    page.wait_for_timeout(500)  # any later card would have arrived by now
    cards = page.locator(f"#toasts .toast[data-url='{order_url}']")
    assert cards.count() == 1, page.inner_text("#toasts")  # each step replaced the one before
    check_accessibility(page, "journeys/patient-one-delivery-notice")
    # Later, from his menu: the notifications, the newest first, and its "查看" opens the order.
    taps = Taps(page, "journeys/patient-notifications")
    taps.touch_to("#nav-notifications", "list")
    newest = page.locator("main a[href]").first
    assert newest.get_attribute("href") == order_url
    taps.touch_to("main a[href]", "order")
    assert page.url.endswith(order_url) and "配送中" in page.inner_text("main")
    assert taps.count == 2


def test_a_patient_with_no_running_medicine_is_led_to_the_request_form(browser, live_server):
    page = open_as(browser, live_server, PATIENT, PHONE, timeout=TIMEOUT, locale="zh-CN")
    page.click("#elder-offer-yes")
    page.wait_for_selector("html.elder")
    taps = Taps(page, "journeys/renew-no-medicine")
    taps.touch_to("#tile-renew", "my-medicines")
    assert "要续开您在吃的药" in page.inner_text("main")
    button = page.locator("#other-consultation")
    assert button.inner_text() == "找医生续方开药" and "primary" in button.get_attribute("class")
    assert min_size(page, "#other-consultation") >= 60  # elder mode: a big target
    taps.touch_to("#other-consultation", "request-form")
    assert re.search(r"/consultations/new$", page.url)
    # The on-call shifts end on the next day, in words (not "08:00 – 08:00").
    page.locator("input[name='diagnosis_id']").first.check()
    page.wait_for_function("() => document.querySelector('#next-shifts li')")
    for line in page.locator("#next-shifts li").all_inner_texts():
        assert not re.search(r"(\d\d:\d\d) – \1 ", line), line
    assert taps.count == 2


def test_the_doctors_waiting_patients_line_opens_the_shift_desk(browser, live_server):
    page = open_as(browser, live_server, "doc01", DESKTOP, timeout=TIMEOUT)
    assert "位患者在候诊" in page.inner_text("#home-doctor-queue")
    assert page.locator("nav.mainnav a[href='/doctor']").count() == 1  # the workbench stays in the menu
    taps = Taps(page, "journeys/doctor-home-queue")
    taps.touch_to("#home-doctor-queue a", "shift-desk")
    assert page.url.endswith("/shift"), page.url
    assert taps.count == 1


def test_the_elder_menu_offers_what_the_elder_home_offers_and_the_rest_under_more(browser, live_server):
    page = open_as(browser, live_server, PATIENT, PHONE, timeout=TIMEOUT, locale="zh-CN")
    full = page.locator("nav.mainnav a").all_inner_texts()
    assert len(full) >= 8 and page.locator("#nav-more").count() == 0  # standard mode: the whole menu
    page.click("#elder-offer-yes")
    page.wait_for_selector("html.elder")
    menu = [text.strip() for text in page.locator("nav.mainnav a:visible").all_inner_texts()]
    assert menu == ["我的健康", "我的用药", "我的问诊", "我的订单", "消息通知"], menu
    assert min_size(page, "nav.mainnav > ul > li > a") >= 60  # large targets, as on the elder home
    assert min_size(page, "#nav-more summary") >= 60
    shot(page, "journeys/elder-menu-closed")
    taps = Taps(page, "journeys/elder-menu")
    taps.touch("#nav-more summary")
    rest = [text.strip() for text in page.locator("#nav-more a:visible").all_inner_texts()]
    assert "我的处方" in rest and "我的账号" in rest and len(menu) - 1 + len(rest) == len(full) - 1, rest
    shot(page, "journeys/elder-menu-more")
    taps.touch_to("#nav-more a[href='/prescriptions']", "prescriptions")
    assert page.url.endswith("/prescriptions") and page.locator("#nav-more[open]").count() == 1
    assert taps.count == 2
