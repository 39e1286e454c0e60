"""The administrator's staff page renders each row's access controls (issue #12): a role select
for the roles accounts.change_access may give, the doctor's role in words, an activate or
deactivate button, and a status line for the result; after a password reset too."""

from __future__ import annotations

import re

from core.extensions import db
from core.models import User
from tests.conftest import csrf_of, page_login


def _user_id(username: str) -> int:
    return db.session.execute(db.select(User.id).filter_by(username=username)).scalar_one()


def _row(html: str, user_id: int) -> str:
    match = re.search(rf'<tr id="staff-{user_id}".*?</tr>', html, re.S)
    assert match, f"no row for user {user_id}"
    return match.group(0)


def test_each_staff_row_offers_the_roles_change_access_may_give(demo_client):
    page_login(demo_client, "admin")
    html = demo_client.get("/admin/staff").get_data(as_text=True)
    pharmacist = _row(html, _user_id("pharm02"))
    options = re.findall(r'<option value="(\w+)"', pharmacist)
    assert options == ["pharmacist", "dispatcher", "admin"]
    assert re.search(r'<option value="pharmacist" selected>', pharmacist)
    assert 'data-active="1"' in pharmacist and "停用" in pharmacist
    assert 'role="status" aria-live="polite"' in pharmacist and 'role="alert"' in pharmacist
    doctor = _row(html, _user_id("doc01"))
    assert "data-role-select" not in doctor and "医师" in doctor and "data-active-toggle" in doctor
    assert "js/staff_access.js" in html


def test_the_page_after_a_password_reset_keeps_the_controls(demo_client):
    page_login(demo_client, "admin")
    token = csrf_of(demo_client.get("/admin/staff").get_data(as_text=True))
    pharmacist = _user_id("pharm02")
    html = demo_client.post(f"/admin/users/{pharmacist}/reset-password", data={"csrf_token": token}).get_data(
        as_text=True
    )
    assert 'id="reset-result"' in html
    assert f'id="role-{pharmacist}"' in html and f'id="active-toggle-{pharmacist}"' in html


def test_the_offer_of_elder_mode_is_made_to_patients_not_to_staff(demo_client):
    """A patient (and anyone not logged in yet) is asked once whether he wants larger type; a
    doctor, pharmacist or administrator keeps the switch at the top but is not asked on every page."""
    assert 'id="elder-offer-yes"' in demo_client.get("/login").get_data(as_text=True)
    page_login(demo_client, "13800000001")
    assert 'id="elder-offer-yes"' in demo_client.get("/").get_data(as_text=True)
    for staff in ("doc01", "pharm01", "admin"):
        page_login(demo_client, staff)
        html = demo_client.get("/").get_data(as_text=True)
        assert 'id="elder-switch"' in html and 'id="elder-offer-yes"' not in html, staff
