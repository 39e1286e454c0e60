"""Four experts in Chromium (fake camera and microphone) in one room through a real Janus: every
viewer decodes every stage member, a screen share reaches the others, a member taken off the stage
stops publishing, and after Janus restarts the pages come back with video within 15 seconds."""

from __future__ import annotations

import time

import pytest
import requests

from hospital.services.expert_sfu import ROOM_OFFSET
from tests.conftest import DESKTOP, PHONE, LiveServer, _copy_db, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]
NAMES = ("exp01", "exp02", "exp03", "exp04")  # exp01 leads the demo case


@pytest.fixture
def sfu_server(demo_template_db, tmp_path, janus):
    server = LiveServer(
        _copy_db(demo_template_db, tmp_path / "live.db"),
        tmp_path / "server.log",
        env={**janus.config, "JANUS_PUBLIC_URL": janus.env["JANUS_URL"], "EXPERT_STAGE_SIZE": "4"},
    )
    yield server
    server.stop()


def open_room(browser, server, username, case_id, options=DESKTOP):
    page = browser.new_context(**options).new_page()
    page.goto(server.url + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "Demo@2026")
    page.click("#login-submit")
    page.wait_for_load_state()
    page.goto(f"{server.url}/expert-cases/{case_id}")
    page.wait_for_function("() => window.ExpertRoom && window.ExpertRoom.mode() === 'sfu'", timeout=20000)
    return page


def decoded(page) -> dict[int, int]:
    """Frames decoded per stage member, as this page receives them from Janus."""
    stats = page.evaluate("async () => await window.ExpertRoom.stats()")
    result: dict[int, int] = {}
    for entry in stats:
        result[entry["userId"]] = result.get(entry["userId"], 0) + entry["framesDecoded"]
    return result


def wait_decoding(page, user_ids, timeout=30.0, baseline=None) -> float:
    """Seconds until this page decodes frames (more than `baseline`) from every one of user_ids."""
    start = time.monotonic()
    baseline = baseline or {}
    while time.monotonic() - start < timeout:
        now = decoded(page)
        if all(now.get(u, 0) > baseline.get(u, 0) for u in user_ids):
            return time.monotonic() - start
        page.wait_for_timeout(300)
    raise AssertionError(f"no frames from {user_ids}: {decoded(page)}")


def frame_width(page, user_id) -> int:
    """The width of the picture this page receives from that stage member."""
    stats = page.evaluate("async () => await window.ExpertRoom.stats()")
    return max([s["frameWidth"] for s in stats if s["userId"] == user_id] or [0])


def test_four_participants_through_janus(browser, sfu_server, janus):
    headers = {"Authorization": f"Bearer {sfu_server.login('exp01')}"}
    me = {
        n: requests.get(
            sfu_server.url + "/api/me", headers={"Authorization": f"Bearer {sfu_server.login(n)}"}, timeout=10
        ).json()["id"]
        for n in NAMES
    }
    cases = requests.get(sfu_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    pages = {name: open_room(browser, sfu_server, name, case_id) for name in NAMES}
    leader = pages["exp01"]
    leader.wait_for_function("() => document.querySelectorAll('#present li').length === 4", timeout=15000)
    assert pages["exp02"].locator("#hand").is_visible() and leader.locator("#hand").count() == 0

    # The leader brings two experts on the stage: everyone decodes every stage member but himself.
    for name in ("exp02", "exp03"):
        leader.click(f"#present button[data-floor='give'][data-user='{me[name]}']")
        leader.wait_for_selector(f"#present button[data-floor='take'][data-user='{me[name]}']")
    stage = [me["exp01"], me["exp02"], me["exp03"]]
    for name, page in pages.items():
        wait_decoding(page, [u for u in stage if u != me[name]])
    check_accessibility(leader, "sfu-room-desktop")

    # exp02 shares his screen in place of his camera: the others receive the screen's picture.
    camera_width = frame_width(pages["exp04"], me["exp02"])
    assert camera_width > 0
    pages["exp02"].click("#share")
    pages["exp02"].wait_for_selector("#share[aria-pressed='true']", timeout=10000)
    deadline = time.monotonic() + 20
    while frame_width(pages["exp04"], me["exp02"]) == camera_width and time.monotonic() < deadline:
        pages["exp04"].wait_for_timeout(300)
    assert frame_width(pages["exp04"], me["exp02"]) != camera_width

    # Taking exp03 off the stage: even a page that would not stop publishing (as if altered) is
    # stopped by the server (Janus kicks his publisher); the others drop his feed.
    pages["exp03"].evaluate("() => { window.ExpertRoom.sfu().setPublishing = () => {}; }")
    leader.click(f"#present button[data-floor='take'][data-user='{me['exp03']}']")
    deadline = time.monotonic() + 15
    while me["exp03"] in decoded(pages["exp04"]) and time.monotonic() < deadline:
        pages["exp04"].wait_for_timeout(300)
    assert me["exp03"] not in decoded(pages["exp04"]) and set(decoded(pages["exp04"])) == {me["exp01"], me["exp02"]}
    publishers = janus.videoroom("listparticipants", room=ROOM_OFFSET + case_id)["participants"]
    assert sorted(p["display"] for p in publishers if p.get("publisher")) == sorted(
        [str(me["exp01"]), str(me["exp02"])]
    )

    # Janus restarts mid-room: every page reconnects and decodes again within 15 seconds.
    stage = [me["exp01"], me["exp02"]]
    janus.stop()
    restarted = time.monotonic()
    janus.start()
    for name, page in pages.items():
        wait_decoding(page, [u for u in stage if u != me[name]], timeout=20)
    took = time.monotonic() - restarted
    print(f"video back after a Janus restart in {took:.1f} s")
    assert took < 15


def test_room_on_a_phone_in_elder_mode(browser, sfu_server):
    headers = {"Authorization": f"Bearer {sfu_server.login('exp01')}"}
    cases = requests.get(sfu_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    page = open_room(browser, sfu_server, "exp02", case_id, PHONE)
    page.click("#elder-offer-yes")
    page.wait_for_selector("html.elder")
    stage, side = page.locator("#stage").bounding_box(), page.locator(".meeting-side").bounding_box()
    assert stage["y"] < side["y"]  # the stage on top, the panels below
    check_accessibility(page, "sfu-room-phone-elder")

    # Leave and rejoin without a reload: the media stop, then come back through Janus.
    page.evaluate("() => { window.notReloaded = true; }")
    page.click("#leave")
    page.wait_for_selector("#left-room:not([hidden])")
    assert page.evaluate("() => window.ExpertRoom.mode()") == ""
    page.click("#rejoin")
    page.wait_for_function("() => window.ExpertRoom.mode() === 'sfu'", timeout=15000)
    assert page.evaluate("() => window.notReloaded") is True
