"""In Debian's Chromium: register through the page, see the Chinese home, switch to English and
to elder mode, and measure the elder-mode rules (text size, line spacing, touch targets)."""

import pytest

from tests.conftest import GOOD_PASSWORD, PHONE, check_accessibility, valid_id

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _px(page, selector: str, prop: str) -> float:
    return page.eval_on_selector(selector, f"e => parseFloat(getComputedStyle(e)['{prop}'])")


def test_register_home_english_and_elder_mode(browser, live_server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/register")
    check_accessibility(page, "foundation-register")
    page.fill("#f-name", "张桂英")
    page.fill("#f-id_number", valid_id("19500505", "208"))
    page.fill("#f-phone", "13600000001")
    page.fill("#f-password", "short")
    page.click("#register-submit")
    assert "密码至少8位" in page.inner_text("main")  # the error is said in words, next to the field
    page.fill("#f-password", GOOD_PASSWORD)
    page.click("#register-submit")
    page.wait_for_selector("#tile-renew")
    assert "张桂英，您好" in page.inner_text("h1") and "续方开药" in page.inner_text("#tile-renew")
    check_accessibility(page, "foundation-home-zh")

    page.click("#lang-switch")
    page.wait_for_selector("text=Renew my medicine")
    assert page.get_attribute("html", "lang") == "en"
    check_accessibility(page, "foundation-home-en")

    page.click("#elder-switch")
    page.wait_for_selector("html.elder")
    body_size, line_height = _px(page, "body", "fontSize"), _px(page, "body", "lineHeight")
    assert body_size >= 18 and line_height / body_size >= 1.3
    assert _px(page, "h1", "fontSize") >= 30
    for selector in ("#tile-renew", "#elder-switch", "#lang-switch", "#logout"):
        box = page.locator(selector).bounding_box()
        assert box["width"] >= 60 and box["height"] >= 60, (selector, box)
    check_accessibility(page, "foundation-home-elder")

    # Remembered per user: a new session after logging in again is still English and elder.
    page.click("#logout")
    page.fill("#f-username", "13600000001")
    page.fill("#f-password", GOOD_PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#tile-renew")
    assert page.get_attribute("html", "class") == "elder" and page.get_attribute("html", "lang") == "en"
    context.close()


def test_touch_targets_outside_elder_mode_are_44px(browser, live_server):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    for selector in ("#login-submit", "#lang-switch", "#elder-switch", "#f-username"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, (selector, box)
    check_accessibility(page, "foundation-login")
    context.close()
