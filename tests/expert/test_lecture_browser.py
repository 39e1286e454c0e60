"""A lecture walked by clicking in Chromium: the requesting doctor sets it up on the request form
(two presenters, an audience hospital), the host opens the room, a viewer from the audience
hospital comes in, watches (not on stage), raises his hand and is brought up by the host; the
attendance record lists him under his hospital."""

import pytest
import requests

from tests.conftest import DESKTOP, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]
TITLE = "重症慢阻肺无创通气规范化培训"


class Taps:
    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector):
        self.page.click(selector)
        self.count += 1


def sign_in(browser, server, username):
    page = browser.new_context(**DESKTOP).new_page()
    taps = Taps(page)
    page.goto(server.url + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "Demo@2026")
    taps.click("#login-submit")
    page.wait_for_load_state()
    taps.click("a[href='/expert-cases']")
    return page, taps


def doctors(server) -> dict:
    """The demo doctors of the journey by username (ids, user ids, hospitals)."""
    headers = {"Authorization": f"Bearer {server.login('doc01')}"}
    rows = requests.get(server.url + "/api/doctors", headers=headers, timeout=10).json()
    return {d["username"]: d for d in rows if d["username"] in ("exp01", "exp02", "exp03", "exp05")}


def test_a_lecture_from_the_request_form_to_a_viewer_on_stage(browser, live_server):
    ids = doctors(live_server)
    requester, taps = sign_in(browser, live_server, "doc01")
    requester.fill("#f-patient_phone", "13800000001")
    requester.fill("#f-title", TITLE)
    requester.fill("#f-summary", "面向网络医院重症医学科医务人员的无创通气培训。")
    taps.click("#f-mode-lecture")
    requester.select_option("#f-audience", str(ids["exp05"]["hospital_id"]))
    taps.click("#s-go")
    requester.wait_for_selector(f"#p-{ids['exp02']['id']}")
    taps.click(f"#p-{ids['exp02']['id']}")
    taps.click(f"#p-{ids['exp03']['id']}")
    taps.click(f"#l-{ids['exp01']['id']}")
    requester.fill("#f-scheduled_at", "2030-01-01T09:00")
    check_accessibility(requester, "lecture-request-form")
    taps.click("#case-submit")
    requester.wait_for_selector("h1:has-text('" + TITLE + "')")
    assert taps.count == 8  # sign in, menu, lecture, search, two presenters, the host, send

    host, host_taps = sign_in(browser, live_server, "exp01")
    host_taps.click(f"a:has-text('{TITLE}')")
    host_taps.click("#start-session")
    host.wait_for_selector("#present li", timeout=20000)
    assert "主持人" in host.inner_text("#lecture")

    viewer, viewer_taps = sign_in(browser, live_server, "exp05")
    viewer_taps.click(f"a:has-text('{TITLE}')")
    viewer.wait_for_selector("#present li", timeout=20000)
    assert viewer.is_visible("#lecture-viewer-note")
    stage = viewer.evaluate("() => window.ExpertRoom.state().stage")
    assert sorted(stage) == sorted([ids["exp02"]["user_id"], ids["exp03"]["user_id"]])  # the presenters
    viewer_taps.click("#hand")
    host.wait_for_selector(f"#queue li:has-text('{ids['exp05']['name']}')", timeout=10000)
    host_taps.click(f"#present button[data-floor='give'][data-user='{ids['exp05']['user_id']}']")
    viewer.wait_for_function(
        f"() => window.ExpertRoom.state().stage.includes({ids['exp05']['user_id']})", timeout=10000
    )
    host.wait_for_selector(f"#attendance-people tr:has-text('{ids['exp05']['name']}')", timeout=10000)
    host.wait_for_selector(f"#attendance-hospitals tr:has-text('{ids['exp05']['hospital_name_zh']}')")
    check_accessibility(viewer, "lecture-viewer-on-stage")
    check_accessibility(host, "lecture-host")
    assert viewer_taps.count == 4 and host_taps.count == 5
