"""In Debian's Chromium: a patient's account journey from his home page, by tapping only —
see where he is logged in, end the session on another device, change his password (the old
one is required: said in words next to the field), and log out everywhere. Chinese, axe-core."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]
PATIENT = "13800000002"
NEW_PASSWORD = "Renewed2026x"


def _log_in(page, url: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(url + "/login")
    page.fill("#f-username", PATIENT)
    page.fill("#f-password", password)
    page.click("#login-submit")
    page.wait_for_load_state()


def test_a_patient_ends_another_session_changes_his_password_and_logs_out_everywhere(browser, live_server):
    desk = browser.new_context(**DESKTOP).new_page()
    _log_in(desk, live_server.url)  # an older login on another computer
    phone_context = browser.new_context(**PHONE)
    page = phone_context.new_page()
    _log_in(page, live_server.url)
    taps = 0

    page.click("nav.mainnav >> text=我的账号")
    taps += 1
    page.wait_for_selector("#session-list")
    sessions = page.locator("#session-list li.session")
    assert sessions.count() == 2 and "本设备" in page.inner_text("#session-list")
    check_accessibility(page, "account-sessions-zh")

    other = page.locator("#session-list li.session", has_not_text="本设备")
    other.locator("button").click()
    taps += 1
    page.wait_for_selector("text=该登录已退出")
    assert page.locator("#session-list li.session").count() == 1
    desk.goto(live_server.url + "/account")
    assert "/login" in desk.url  # that computer is logged out

    page.fill("#f-old_password", "not-my-password1")
    page.fill("#f-new_password", NEW_PASSWORD)
    page.click("#password-submit")
    taps += 1
    assert "当前密码不正确" in page.inner_text("#password-form")  # in words, next to the field
    page.fill("#f-old_password", DEMO_PASSWORD)
    page.fill("#f-new_password", NEW_PASSWORD)
    page.click("#password-submit")
    taps += 1
    page.wait_for_selector("text=密码已修改")
    check_accessibility(page, "account-password-changed-zh")

    page.click("#logout-everywhere")
    taps += 1
    page.wait_for_selector("#login-submit")
    page.goto(live_server.url + "/account")
    assert "/login" in page.url
    _log_in(page, live_server.url, NEW_PASSWORD)  # the new password works
    page.click("nav.mainnav >> text=我的账号")
    page.wait_for_selector("#session-list")
    assert taps <= 5
    phone_context.close()
    desk.context.close()
