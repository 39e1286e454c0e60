"""An administrator cannot deactivate himself or take away his own administrator role, and the
last active administrator is never deactivated or demoted: the hospital always keeps someone who
can manage its staff. Refusals are 409s in the error shape naming the field."""

from __future__ import annotations

import pytest

from core import accounts, sessions
from core.errors import Conflict
from core.extensions import db
from core.models import Role, User

ADMIN = "admin"


def _bearer(username: str) -> dict:
    return {"Authorization": f"Bearer {sessions.open_api_session(accounts.get_by_username(username)).token}"}


@pytest.mark.parametrize(("change", "field"), [({"active": False}, "active"), ({"role": "pharmacist"}, "role")])
def test_an_administrator_cannot_change_his_own_access(demo_client, change, field):
    me = accounts.get_by_username(ADMIN)
    refused = demo_client.patch(f"/api/staff/{me.id}", json=change, headers=_bearer(ADMIN))
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["reason"] == "own_account" and field in body["errors"]["json"]
    db.session.expire_all()
    assert (me.role, me.active) == (Role.ADMIN, True)


def _admins() -> list[User]:
    return list(db.session.execute(db.select(User).where(User.role == Role.ADMIN, User.active.is_(True))).scalars())


def test_the_last_active_administrator_is_never_deactivated_or_demoted(demo_app):
    other = accounts.create_staff("admin9", Role.ADMIN, "管理员乙", "Strong-pass-2026")
    assert len(_admins()) >= 2
    acting = accounts.get_by_username("pharm01")  # the service trusts the view for the caller's role
    for admin in _admins():
        if admin.id != other.id:
            accounts.change_access(acting, admin.id, active=False)  # others may go while one is left
    assert [admin.id for admin in _admins()] == [other.id]
    for change, field in (({"active": False}, "active"), ({"role": Role.PHARMACIST}, "role")):
        with pytest.raises(Conflict) as refused:
            accounts.change_access(acting, other.id, **change)
        assert (refused.value.reason, refused.value.field) == ("last_admin", field)
    db.session.expire_all()
    assert [(admin.id, admin.role, admin.active) for admin in _admins()] == [(other.id, Role.ADMIN, True)]
