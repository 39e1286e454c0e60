"""In Debian's Chromium set to UTC: the hospital's times (shifts, a consultation's messages) read in
the hospital's zone (Asia/Shanghai), not in the browser's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.browser_helpers import log_in
from tests.conftest import PHONE
from tests.prescriptions.test_browser import _accepted_consultation

pytestmark = [pytest.mark.browser, pytest.mark.live]
PATIENT, DOCTOR = "13800000001", "doc01"
BEIJING, UTC = ZoneInfo("Asia/Shanghai"), ZoneInfo("UTC")
TIMEOUT = 15000


def _hour(iso: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%H:%M")


def _until(starts: str, ends: str, zone: ZoneInfo) -> str:
    """A shift's end as the form writes it: the hour, with its day when it ends on a later day."""
    end = datetime.fromisoformat(ends).astimezone(zone)
    if end.date() == datetime.fromisoformat(starts).astimezone(zone).date():
        return f"{end:%H:%M}"
    return f"{end.year}/{end.month}/{end.day} {end:%H:%M}"


def test_a_utc_browser_shows_shifts_and_messages_in_beijing_time(browser, live_server):
    url = live_server.url
    consultation_id = _accepted_consultation(live_server.db_path)
    context = browser.new_context(**PHONE, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        log_in(page, url, PATIENT)
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "UTC"
        page.locator("a[href='/consultations']").first.click()
        page.click("#new-consultation")
        page.select_option("#f-department_id", label="心血管内科")
        first = page.wait_for_selector("#next-shifts li").inner_text()
        department = page.eval_on_selector("#f-department_id", "s => s.value")
        shifts = requests.get(f"{url}/api/shifts?department={department}&upcoming=true", timeout=10).json()
        starts, ends = shifts[0]["starts_at"], shifts[0]["ends_at"]
        assert f"{_hour(starts, BEIJING)} – {_until(starts, ends, BEIJING)}" in first, (first, starts, ends)
        assert f"{_hour(starts, UTC)} – {_hour(ends, UTC)}" not in first  # 8 hours apart

        doctor = {"Authorization": f"Bearer {live_server.login(DOCTOR)}"}
        page.goto(f"{url}/consultations/{consultation_id}")
        page.wait_for_selector("#rx-panel")
        sent = requests.post(
            f"{url}/api/consultations/{consultation_id}/messages",
            json={"text": "请按时服药", "client_id": "tz-1"},
            headers=doctor,
            timeout=10,
        )
        assert sent.status_code in (200, 201), sent.text
        created_at = sent.json()["created_at"]
        meta = page.wait_for_selector("#messages li:has-text('请按时服药') .meta").inner_text()
        assert meta.endswith(_hour(created_at, BEIJING)), (meta, created_at)
    finally:
        context.close()
