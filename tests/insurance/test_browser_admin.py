"""In Debian's Chromium: the administrator's insurance page, Chinese and English, with axe-core."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, DESKTOP, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_admin_insurance_page_is_accessible_in_both_languages(browser, live_server):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    page.goto(live_server.url + "/admin/insurance")
    assert "与医保中心对账" in page.inner_text("main")
    assert "对账平" in page.inner_text("#recon-result")  # the result is said in words, not colour alone
    check_accessibility(page, "insurance-admin-zh")
    page.click("#resolve-unknown")
    page.wait_for_selector("text=已向医保中心核实")
    page.click("#lang-switch")
    page.wait_for_selector("text=Reconciliation with the insurer")
    check_accessibility(page, "insurance-admin-en")
    context.close()
