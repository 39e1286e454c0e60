"""The administrator changes staff access from his staff page in Chromium (issue #12): from his
menu he opens the staff page, makes a pharmacist a dispatcher and deactivates another pharmacist
(after a confirmation), without a reload; the API confirms both and the deactivated pharmacist's
next request is refused. His own row offers neither a role change nor 停用. Screenshots
in test-artifacts/."""

from __future__ import annotations

import pytest
import requests

from tests.browser_helpers import api_as, mark_page, not_reloaded, open_as
from tests.conftest import check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.timeout(300)]
ADMIN = "admin"


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _staff_by_username(server) -> dict:
    return {user["username"]: user for user in api_as(server, ADMIN)("GET", "/api/staff")}


def test_admin_changes_a_role_and_deactivates_a_pharmacist_from_the_staff_page(browser, live_server):
    leaving_token = live_server.login("pharm03")  # signed in before he is deactivated
    assert requests.get(live_server.url + "/api/auth/me", headers=_bearer(leaving_token), timeout=30).ok
    staff = _staff_by_username(live_server)
    moving, leaving, me = staff["pharm02"], staff["pharm03"], staff[ADMIN]
    assert moving["role"] == "pharmacist" and leaving["active"]

    page = open_as(browser, live_server, ADMIN)
    taps = 0
    page.click("nav.mainnav a[href='/admin/staff']")
    taps += 1
    page.wait_for_selector(f"#staff-{moving['id']}")
    mark_page(page)
    # a doctor's role is shown, not offered
    doctor = next(user for user in staff.values() if user["role"] == "doctor")
    assert page.locator(f"#staff-{doctor['id']} [data-role-select]").count() == 0
    assert "医师" in page.inner_text(f"#staff-{doctor['id']}")

    page.select_option(f"#role-{moving['id']}", "dispatcher")
    page.click(f"#role-save-{moving['id']}")
    taps += 2
    page.wait_for_function(
        "id => document.getElementById('access-result-' + id).textContent.includes('已改为')", arg=moving["id"]
    )
    assert "的角色已改为配送调度员" in page.inner_text(f"#access-result-{moving['id']}")

    # cancelling the confirmation changes nothing
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click(f"#active-toggle-{leaving['id']}")
    taps += 1
    page.wait_for_function(
        "id => document.getElementById('access-result-' + id).textContent.includes('未做更改')", arg=leaving["id"]
    )
    assert "停用后他将立即退出所有设备" in questions[0]
    assert _staff_by_username(live_server)["pharm03"]["active"] is True

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"#active-toggle-{leaving['id']}")
    taps += 2  # the button and the confirmation
    page.wait_for_function(
        "id => document.getElementById('access-result-' + id).textContent.includes('已停用')", arg=leaving["id"]
    )
    assert page.inner_text(f"#active-{leaving['id']}") == "否"
    assert page.inner_text(f"#active-toggle-{leaving['id']}") == "启用"

    # his own row offers no role change and no 停用: another administrator changes those
    own_row = f"#staff-{me['id']}"
    assert page.locator(f"{own_row} [data-role-select], {own_row} [data-active-toggle]").count() == 0
    assert "须由另一位管理员修改" in page.inner_text(own_row)

    assert not_reloaded(page)
    check_accessibility(page, "staff-access-changed")
    assert taps <= 6

    after = _staff_by_username(live_server)
    assert after["pharm02"]["role"] == "dispatcher" and after["pharm02"]["active"] is True
    assert after["pharm03"]["active"] is False and after["pharm03"]["role"] == "pharmacist"
    assert after[ADMIN]["role"] == "admin"
    refused = requests.get(live_server.url + "/api/auth/me", headers=_bearer(leaving_token), timeout=30)
    assert refused.status_code == 401, refused.text[:300]

    # reactivated from the same row (no confirmation needed to give access back)
    page.click(f"#active-toggle-{leaving['id']}")
    page.wait_for_function(
        "id => document.getElementById('access-result-' + id).textContent.includes('重新启用')", arg=leaving["id"]
    )
    assert _staff_by_username(live_server)["pharm03"]["active"] is True


def test_the_staff_page_speaks_english(browser, live_server):
    page = open_as(browser, live_server, ADMIN)
    page.click("#lang-switch")
    page.wait_for_selector("html[lang='en']")
    page.click("nav.mainnav a[href='/admin/staff']")
    staff = _staff_by_username(live_server)
    pharmacist, doctor = staff["pharm02"], staff["doc01"]
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click(f"#active-toggle-{pharmacist['id']}")
    page.wait_for_function("id => document.getElementById('access-result-' + id).textContent", arg=pharmacist["id"])
    assert (
        page.inner_text(f"#access-result-{pharmacist['id']}") == f"Nothing changed: {pharmacist['name']} stays active."
    )
    assert questions == [f"Deactivate {pharmacist['name']}? He will be signed out of all his devices at once."]
    assert page.inner_text(f"#role-save-{pharmacist['id']}") == "Save role"
    assert "Doctor" in page.inner_text(f"#staff-{doctor['id']}")
    check_accessibility(page, "staff-access-en")
