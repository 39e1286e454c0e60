"""In Debian's Chromium: the administrator finds the supervision reports in his menu, sees what
was sent and what the platform refused and why, sends the refused report again once the record is
corrected, and reconciles the day; Chinese and English, axe-core, screenshots in test-artifacts/."""

from __future__ import annotations

import sqlite3

import pytest

from core import clock
from core.extensions import db
from hospital.models.network import Doctor
from tests.browser_helpers import open_as, shot
from tests.conftest import DESKTOP, LiveServer, _copy_db, _make_app, check_accessibility
from tests.regulator.conftest import DOCTOR, Flow, ThreadPlatform, user

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _day_of_visits(db_path) -> None:
    """Two follow-ups through the hospital's services; the cardiologist's licence number is missing,
    so the platform will refuse the reports of his consultation (its start and its end)."""
    app = _make_app(db_path)
    with app.app_context():
        doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user(DOCTOR).id)).scalar_one()
        doctor.license_no = ""
        db.session.commit()
        flow = Flow()
        flow.consultation("E11.9", "ENDO", "doc27")
        flow.complete(flow.consultation("I10", "CARD", DOCTOR))
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def feed_server(demo_template_db, tmp_path):
    platform = ThreadPlatform(tmp_path / "platform.db")
    db_path = _copy_db(demo_template_db, tmp_path / "live.db")
    _day_of_visits(db_path)
    env = {"REGULATOR_URL": platform.url, "REGULATOR_BACKOFF": "0", "RUN_TASKS": "0"}
    server = LiveServer(db_path, tmp_path / "server.log", env=env)
    yield server, platform
    server.stop()
    platform.stop()


def test_admin_follows_the_feed_retries_a_refusal_and_reconciles(browser, feed_server):
    server, platform = feed_server
    page = open_as(browser, server, "admin", DESKTOP)
    context = page.context
    taps = 0
    page.click("nav.mainnav >> text=监管上报")  # from his menu, no address typed
    taps += 2
    page.wait_for_selector("h1:has-text('向监管平台的上报')")
    assert page.inner_text("#total-pending") == "3" and page.inner_text("#total-failed") == "0"

    page.click("#send-now")  # the periodic drain would do the same within a minute
    taps += 1
    page.wait_for_selector("#failed-reports")
    assert page.inner_text("#total-sent") == "1" and page.inner_text("#total-failed") == "2"
    refused = page.inner_text("#failed-reports")
    assert "问诊开始" in refused and "问诊结束" in refused and "拒收" in refused
    assert refused.count("data.doctor_license_no: 必填") == 2  # the platform's own words, naming the field
    check_accessibility(page, "regulator-admin-refused-zh")
    shot(page, "regulator-admin-refused-zh")

    with sqlite3.connect(server.db_path) as connection:  # the licence number is put right
        connection.execute("UPDATE doctors SET license_no = '110350100000028' WHERE license_no = ''")
    for remaining in ("1", "0"):
        page.click("#failed-reports button >> nth=0")
        taps += 1
        page.wait_for_selector("text=将重新发送")
        assert page.inner_text("#total-failed") == remaining
    page.click("#send-now")
    taps += 1
    page.wait_for_selector("text=已发送 2 条")
    assert page.inner_text("#total-sent") == "3" and page.inner_text("#total-pending") == "0"

    page.fill("#recon-date", clock.today().isoformat())
    page.click("#reconcile")
    taps += 2
    page.wait_for_selector("#reconciliations")
    assert "数量一致" in page.inner_text("#reconciliations")
    assert len(platform.reports()) == 3
    shot(page, "regulator-admin-reconciled-zh")

    page.click("#lang-switch")
    page.wait_for_selector("text=Reports to the supervision platform")
    assert "Counts agree" in page.inner_text("#reconciliations")
    check_accessibility(page, "regulator-admin-en")
    shot(page, "regulator-admin-en")
    assert taps <= 9
    context.close()
