"""A doctor's journey in Chromium, from his home and menu: his rota (this week and the next, with
department and hospital), the workbench's shift box, a patient accepted, a quick reply edited in the
inline editor, put into the chat with Alt+1 and sent, then the handover (交班) from the same box — the
edits, the insertion and the handover without a page reload. Screenshots in test-artifacts/."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser_helpers import Taps, api_as, mark_page, not_reloaded, open_as
from tests.conftest import DESKTOP, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(300)]
PATIENT, DOCTOR = "13800000001", "doc28"
NEW_TEXT = "请问您这周早晚的血压各是多少？"
BEIJING = ZoneInfo("Asia/Shanghai")


def _waiting_consultation(server) -> int:
    """The demo patient asks the cardiology department for a follow-up."""
    patient = api_as(server, PATIENT)
    diagnosis = next(d for d in patient("GET", "/api/diagnoses") if d["icd10"] == "I10")
    card = next(d for d in patient("GET", "/api/departments") if d["code"] == "CARD")
    body = {"department_id": card["id"], "diagnosis_id": diagnosis["id"], "complaint": "续开降压药"}
    return patient("POST", "/api/consultations", json=body)["id"]


def _assert_shift_times_in_beijing(page) -> None:
    """The shift box writes its times as Beijing's clock reads them ("12月2日 08:00"), whatever the
    browser's own zone (App's formatters use the hospital's zone)."""
    shifts = page.evaluate("() => App.api('GET', '/api/me/shifts')")
    now = datetime.now(BEIJING)
    upcoming = next(s for s in shifts if datetime.fromisoformat(s["starts_at"]) > now)
    starts = datetime.fromisoformat(upcoming["starts_at"]).astimezone(BEIJING)
    assert f"{starts.month}月{starts.day}日 {starts:%H:%M}" in page.inner_text("#my-rota-next")


def test_doctor_rota_quick_reply_chat_and_handover(browser, live_server):
    consultation_id = _waiting_consultation(live_server)
    page = open_as(browser, live_server, DOCTOR, DESKTOP)
    context = page.context
    taps = Taps(page)

    # His rota, from the menu: this week and the next, department with its hospital.
    taps.tap("nav.mainnav a[href='/rota']")
    page.wait_for_url(live_server.url + "/rota")
    page.wait_for_selector("#my-shifts-1")
    assert "本周" in page.inner_text("main") and "下周" in page.inner_text("main")
    assert re.search(r"心血管内科 · \S+医院", page.inner_text("#my-shifts-1"))
    check_accessibility(page, "quick-my-rota")

    # The workbench's shift box: on duty now, the time left, the next shift.
    taps.tap("nav.mainnav a[href='/doctor']")
    page.wait_for_url(live_server.url + "/doctor")
    page.wait_for_function("() => document.getElementById('my-rota-now').textContent.includes('正在值班')")
    assert "还剩" in page.inner_text("#my-rota-now") and "下一班" in page.inner_text("#my-rota-next")
    _assert_shift_times_in_beijing(page)
    check_accessibility(page, "quick-workbench-shift")

    # Accept the patient: the consultation page has the quick replies above the chat box.
    taps.tap(f"#queue li[data-id='{consultation_id}'] button[type=submit]")
    page.wait_for_url(re.compile(rf".*/consultations/{consultation_id}$"))
    page.wait_for_selector("#qr-chips .qr-chip")
    mark_page(page)
    first_default = page.inner_text("#qr-chips li:first-child .qr-text")
    assert first_default.startswith("您好")

    # Edit the first quick reply inline and move it to second place, then back, without a reload.
    taps.tap("#qr-edit")
    page.wait_for_selector("#qr-editor:not([hidden]) #qr-edit-list input")
    assert page.get_attribute("#qr-edit", "aria-expanded") == "true"
    first_input = "#qr-edit-list li:first-child input"
    taps.type(first_input, NEW_TEXT)
    taps.tap("#qr-edit-list li:first-child .qr-row-actions button:first-child")
    page.wait_for_function("() => document.getElementById('qr-status').textContent.includes('已保存')")
    assert page.inner_text("#qr-chips li:first-child .qr-text") == NEW_TEXT
    taps.tap("#qr-edit-list li:first-child button[aria-label*='下移']")
    page.wait_for_function("() => document.getElementById('qr-status').textContent.includes('第 2 位')")
    assert page.inner_text("#qr-chips li:nth-child(2) .qr-text") == NEW_TEXT
    taps.tap("#qr-edit-list li:nth-child(2) button[aria-label*='上移']")
    page.wait_for_function(
        f"() => document.querySelector('#qr-chips li:first-child .qr-text').textContent === '{NEW_TEXT}'"
    )
    # Deleting asks nothing; "Undo" puts it back in its place.
    last = page.inner_text("#qr-chips li:last-child .qr-text")
    taps.tap("#qr-edit-list li:last-child button[aria-label*='删除']")
    page.wait_for_selector("#qr-undo:not([hidden])")
    assert last not in page.inner_text("#qr-chips")
    check_accessibility(page, "quick-replies-editor")
    taps.tap("#qr-undo")
    page.wait_for_function("() => document.getElementById('qr-status').textContent.includes('已恢复')")
    assert page.inner_text("#qr-chips li:last-child .qr-text") == last and page.is_hidden("#qr-undo")
    taps.tap("#qr-done")
    assert page.is_hidden("#qr-editor")

    # Alt+1 puts it into the chat box; Send sends it; the patient reads it.
    page.focus("#chat-text")
    taps.key("Alt+1")
    assert page.input_value("#chat-text") == NEW_TEXT
    taps.tap("#chat-send")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#messages .msg.mine .text')].some(n => n.textContent === '{NEW_TEXT}')"
    )
    assert page.input_value("#chat-text") == ""
    # A click on a chip does the same (here the second, kept for the next message).
    taps.tap("#qr-chips li:nth-child(2) button")
    assert page.input_value("#chat-text") == page.inner_text("#qr-chips li:nth-child(2) .qr-text")
    assert not_reloaded(page)
    check_accessibility(page, "quick-replies-chat")
    # A chat box that is hidden (a shift screen with no patient open) takes nothing; the chip says why.
    page.evaluate("() => { document.getElementById('chat-form').hidden = true; }")
    page.click("#qr-chips li:first-child button")
    assert "请先打开一个问诊对话" in page.inner_text("#qr-status")
    assert page.input_value("#chat-text") != NEW_TEXT
    page.evaluate("() => { document.getElementById('chat-form').hidden = false; }")
    messages = api_as(live_server, PATIENT)("GET", f"/api/consultations/{consultation_id}/messages")
    assert any(m["text"] == NEW_TEXT for m in messages)
    assert api_as(live_server, DOCTOR)("GET", "/api/quick-replies")[0]["text"] == NEW_TEXT
    edit_taps = taps.count

    # The handover at the shift's end, from the workbench's box, without a reload.
    taps.tap("nav.mainnav a[href='/doctor']")
    page.wait_for_url(live_server.url + "/doctor")
    mark_page(page)
    taps.tap("#my-rota-handover-open")
    page.wait_for_selector(f"#my-rota-open li[data-id='{consultation_id}']")
    check_accessibility(page, "quick-handover-open")
    taps.tap(f"#my-rota-open li[data-id='{consultation_id}'] button:first-child")
    page.wait_for_function(
        "() => document.getElementById('my-rota-status').textContent.includes('已交给')"
        " || document.getElementById('my-rota-error').textContent"
    )
    assert page.inner_text("#my-rota-error") == "", page.inner_text("#my-rota-error")
    assert page.query_selector(f"#my-rota-open li[data-id='{consultation_id}']") is None
    assert page.query_selector(f"#my-open li[data-id='{consultation_id}']") is None  # the workbench's list too
    assert not_reloaded(page)
    page.screenshot(path="test-artifacts/quick-handover-done.png", full_page=True)
    handed = api_as(live_server, PATIENT)("GET", f"/api/consultations/{consultation_id}")
    assert handed["doctor_name"] and handed["doctor_name"] in page.inner_text("#my-rota-status")
    # Rota 1, workbench 1, accept 1, editor 8 (open, type, save, down, up, delete, undo, done), Alt+1,
    # send, chip 1; workbench, hand over, hand over this one.
    assert edit_taps == 14 and taps.count == 17, (edit_taps, taps.count)

    # His own page of quick replies, from the menu: the same editor, open.
    page.click("nav.mainnav a[href='/quick-replies']")
    page.wait_for_selector("#qr-edit-list li input")
    assert page.eval_on_selector_all("nav.mainnav a[aria-current='page']", "links => links.length") == 1
    assert page.is_hidden("#qr-bar") and page.input_value("#qr-edit-list li:first-child input") == NEW_TEXT
    page.fill("#qr-new", "请继续监测血压，每天早晚各一次。")
    page.click("#qr-add")
    page.wait_for_function("() => document.getElementById('qr-status').textContent.includes('已添加')")
    assert page.input_value("#qr-edit-list li:last-child input") == "请继续监测血压，每天早晚各一次。"
    page.fill("#qr-new", "字" * 200 + "多")  # the input stops at 200; an empty one is refused in words
    assert len(page.input_value("#qr-new")) == 200
    page.fill("#qr-new", "   ")
    page.click("#qr-add")
    page.wait_for_function("() => document.getElementById('qr-error').textContent.includes('请填写常用语的内容')")
    check_accessibility(page, "quick-replies-page")

    # Desk first, usable on a phone too: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    check_accessibility(page, "quick-replies-page-phone")
    page.click("nav.mainnav a[href='/doctor']")
    page.wait_for_url(live_server.url + "/doctor")
    page.wait_for_function("() => document.getElementById('my-rota-now').textContent.includes('正在值班')")
    page.click("#my-rota-handover-open")
    page.wait_for_selector("#my-rota-open li")
    check_accessibility(page, "quick-workbench-phone")
    context.close()
