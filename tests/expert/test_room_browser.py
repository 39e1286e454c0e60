"""Three experts in the room in Chromium: two on stage see each other, the third hears and chats,
and the leader moves the floor."""

import pytest
import requests

from tests.conftest import DESKTOP, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def user_id(server, username):
    headers = {"Authorization": f"Bearer {server.login(username)}"}
    return requests.get(server.url + "/api/me", headers=headers, timeout=10).json()["id"]


def open_room(browser, server, username, case_id):
    page = browser.new_context(**DESKTOP).new_page()
    page.goto(server.url + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "Demo@2026")
    page.click("#login-submit")
    page.wait_for_load_state()
    page.goto(f"{server.url}/expert-cases/{case_id}")
    page.wait_for_selector("#present li", timeout=15000)
    return page


def media_from(page, peer_user_id, key, tries=60):
    """Poll the page's getStats() until `key` (framesDecoded / audioPackets) from that peer is > 0."""
    value = 0
    for _ in range(tries):
        stats = page.evaluate("async () => await window.ExpertRoom.stats()")
        value = sum(s[key] for s in stats if s["userId"] == peer_user_id)
        if value > 0:
            return value
        page.wait_for_timeout(500)
    return value


def test_stage_video_audio_chat_and_the_floor(browser, live_server):
    headers = {"Authorization": f"Bearer {live_server.login('exp01')}"}
    cases = requests.get(live_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    ids = {name: user_id(live_server, name) for name in ("exp01", "exp02", "exp03")}
    leader = open_room(browser, live_server, "exp01", case_id)
    second = open_room(browser, live_server, "exp02", case_id)
    third = open_room(browser, live_server, "exp03", case_id)
    leader.wait_for_function("() => document.querySelectorAll('#present li').length === 3", timeout=15000)
    # No Janus on this server: the mesh carries the media, and the page says so.
    assert leader.evaluate("() => window.ExpertRoom.mode()") == "mesh" and leader.locator("#media-notice").is_visible()

    leader.click(f"#present button[data-floor='give'][data-user='{ids['exp02']}']")
    for page in (leader, second, third):
        page.wait_for_function("() => window.ExpertRoom.state().stage.length === 2", timeout=10000)
    assert media_from(leader, ids["exp02"], "framesDecoded") > 0
    assert media_from(second, ids["exp01"], "framesDecoded") > 0
    assert media_from(third, ids["exp01"], "audioPackets") > 0  # the third hears

    third.fill("#chat-text", "我同意无创通气")
    third.click("#chat-send")
    leader.wait_for_selector("#chat .msg:has-text('我同意无创通气')", timeout=10000)
    second.wait_for_selector("#chat .msg:has-text('我同意无创通气')", timeout=10000)
    check_accessibility(leader, "expert-room-leader")

    leader.click(f"#present button[data-floor='take'][data-user='{ids['exp02']}']")
    leader.click(f"#present button[data-floor='give'][data-user='{ids['exp03']}']")
    third.wait_for_function(f"() => window.ExpertRoom.state().stage.includes({ids['exp03']})", timeout=10000)
    assert ids["exp02"] not in third.evaluate("() => window.ExpertRoom.state().stage")
    assert media_from(leader, ids["exp03"], "framesDecoded") > 0
    assert media_from(third, ids["exp01"], "framesDecoded") > 0
    check_accessibility(third, "expert-room-third-on-stage")


def test_case_list_and_admin_activity_pages(browser, live_server):
    page = browser.new_context(**DESKTOP).new_page()
    page.goto(live_server.url + "/login")
    page.fill("#f-username", "doc01")
    page.fill("#f-password", "Demo@2026")
    page.click("#login-submit")
    page.goto(live_server.url + "/expert-cases")
    page.select_option("#s-title", "chief")
    page.click("#s-go")
    page.wait_for_selector("#s-results tr", timeout=10000)
    check_accessibility(page, "expert-cases-doctor")
    admin = browser.new_context(**DESKTOP).new_page()
    admin.goto(live_server.url + "/login")
    admin.fill("#f-username", "admin")
    admin.fill("#f-password", "Demo@2026")
    admin.click("#login-submit")
    admin.goto(live_server.url + "/admin/expert-activity")
    assert "慢阻肺" in admin.inner_text("main")
    check_accessibility(admin, "expert-activity-admin")
