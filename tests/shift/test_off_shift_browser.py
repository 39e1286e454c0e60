"""A doctor off shift opens his shift desk from the menu: "next patient" is off (button and Alt+N
alike) and the queue column says why and when his next shift is, instead of a button that only
answers "nobody is waiting". Screenshot in test-artifacts/shift/."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import accounts, clock
from core.extensions import db
from hospital.models.network import Doctor
from hospital.models.rota import Shift
from tests.browser_helpers import open_as, shot
from tests.conftest import DESKTOP, LiveServer, _copy_db, _make_app

pytestmark = [pytest.mark.browser, pytest.mark.live]
DOCTOR = "doc01"


@pytest.fixture
def off_shift_server(demo_template_db, tmp_path):
    """The demo data with doc01's shifts of the next 12 hours taken off the rota."""
    path = _copy_db(demo_template_db, tmp_path / "off.db")
    app = _make_app(path, UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        user = accounts.get_by_username(DOCTOR)
        doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user.id)).scalar_one()
        now = clock.now()
        soon = db.select(Shift).where(Shift.doctor_id == doctor.id, Shift.starts_at < now + timedelta(hours=12))
        for shift in db.session.execute(soon.where(Shift.ends_at > now)).scalars():
            db.session.delete(shift)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    server = LiveServer(path, tmp_path / "server.log")
    yield server
    server.stop()


def test_off_shift_the_desk_says_so_and_next_patient_is_off(browser, off_shift_server):
    page = open_as(browser, off_shift_server, DOCTOR, DESKTOP)
    page.click(".mainnav a[href='/shift']")
    page.wait_for_selector("#sq-shift:has-text('不在班')")
    assert page.is_disabled("#next-patient")
    taken = []
    page.on("request", lambda request: taken.append(request.url) if "/api/shift/next" in request.url else None)
    page.keyboard.press("Alt+N")
    page.wait_for_timeout(500)
    assert taken == []  # the shortcut does not ask either
    assert "不在班" in page.inner_text("#my-rota-now")
    shot(page, "shift/off-shift-desk")
