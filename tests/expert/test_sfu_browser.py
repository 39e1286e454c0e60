"""Four experts in Chromium (fake camera and microphone, two fake cameras each) in one room through
a real Janus: every viewer decodes every stage member, each tile is named by the server (a page that
lies to Janus about who it is still shows under its own name), a camera switch and an opinion keep
everyone's video running with no reload, a screen share reaches the others, a member taken off the
stage stops publishing, and after Janus restarts the pages come back with video within 15 seconds."""

from __future__ import annotations

import time

import pytest
import requests

from tests.conftest import CHROMIUM, DESKTOP, PHONE, LiveServer, _copy_db, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]
NAMES = ("exp01", "exp02", "exp03", "exp04")  # exp01 leads the demo case


@pytest.fixture
def two_cameras(browser):
    """Chromium whose fake capture offers three cameras (`device-count=3`), so that the room's camera
    switch has somewhere to go. Chromium's fake_device_1 is a depth camera (Y16 frames, which no
    video encoder takes: a sender given its track sends nothing), fake_device_2 gives MJPEG like a
    common USB camera: the switch goes from fake_device_0 to fake_device_2. Started by the suite's
    Playwright."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--use-fake-device-for-media-stream=device-count=3",
            "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection",
        ],
    )
    yield chromium
    chromium.close()


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
    page.wait_for_selector("#home-cases")  # an expert starts from his home page: "Join the room"
    page.click(f"#home-case-join-{case_id}")
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


def _auth(server, username) -> dict:
    return {"Authorization": f"Bearer {server.login(username)}"}


def names_on_stage(page) -> dict[int, str]:
    """The stage's tiles as this page shows them: user id → caption."""
    tiles = page.eval_on_selector_all(
        "#stage figure", "(fs) => fs.map((f) => [Number(f.dataset.user), f.querySelector('figcaption').textContent])"
    )
    return dict(tiles)


KEEP_CALLS = """() => { window.notReloaded = true; window.keptCalls = window.ExpertRoom.peerConnections();
  window.keptSession = [window.ExpertRoom.sfu().janus.getSessionId(), window.ExpertRoom.sfu().main.getId()]; }"""


def same_calls(page) -> bool:
    """Whether the page still holds the very Janus session and handle and peer connections it kept."""
    return page.evaluate(
        "() => window.keptCalls.length > 0 && window.ExpertRoom.peerConnections().length === window.keptCalls.length"
        " && window.ExpertRoom.peerConnections().every((pc) => window.keptCalls.includes(pc)"
        " && pc.connectionState === 'connected')"
        " && window.keptSession[0] === window.ExpertRoom.sfu().janus.getSessionId()"
        " && window.keptSession[1] === window.ExpertRoom.sfu().main.getId()"
    )


def test_four_participants_through_janus(two_cameras, sfu_server, janus):
    browser = two_cameras
    headers = _auth(sfu_server, "exp01")
    me = {
        n: requests.get(
            sfu_server.url + "/api/me", headers={"Authorization": f"Bearer {sfu_server.login(n)}"}, timeout=10
        ).json()["id"]
        for n in NAMES
    }
    cases = requests.get(sfu_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    people = {
        n: requests.get(sfu_server.url + "/api/me", headers=_auth(sfu_server, n), timeout=10).json()["name"]
        for n in NAMES
    }
    pages = {name: open_room(browser, sfu_server, name, case_id) for name in NAMES}
    leader = pages["exp01"]
    leader.wait_for_function("() => document.querySelectorAll('#present li').length === 4", timeout=15000)
    assert pages["exp02"].locator("#hand").is_visible() and leader.locator("#hand").count() == 0
    room = leader.evaluate("() => window.ExpertRoom.sfu().cred.room")
    # exp03's page lies to Janus: it publishes under exp02's user id as its display name.
    pages["exp03"].evaluate(f"() => {{ window.ExpertRoom.sfu().o.selfId = {me['exp02']}; }}")

    # The leader brings two experts on the stage: everyone decodes every stage member but himself.
    for name in ("exp02", "exp03"):
        leader.click(f"#present button[data-floor='give'][data-user='{me[name]}']")
        leader.wait_for_selector(f"#present button[data-floor='take'][data-user='{me[name]}']")
    stage = [me["exp01"], me["exp02"], me["exp03"]]
    for name, page in pages.items():
        wait_decoding(page, [u for u in stage if u != me[name]])
    check_accessibility(leader, "sfu-room-desktop")
    publishing = janus.videoroom("listparticipants", room=room)["participants"]
    displays = [p.get("display") for p in publishing if p.get("publisher")]
    assert displays.count(str(me["exp02"])) == 2  # Janus believes the lie...
    shown = names_on_stage(pages["exp04"])
    assert shown[me["exp03"]] == people["exp03"] and shown[me["exp02"]] == people["exp02"]  # ...the page does not
    assert sorted(shown) == sorted(stage)

    # exp02 switches camera: his page shows the other device, and everyone keeps decoding him.
    switcher = pages["exp02"]
    switcher.wait_for_selector("#camera-switch:not([hidden])")
    assert switcher.eval_on_selector("#camera-select", "(s) => s.options.length") == 3
    before = switcher.evaluate("() => window.ExpertRoom.sfu().local.getVideoTracks()[0].label")
    switcher.select_option("#camera-select", label="fake_device_2")
    switcher.wait_for_function(
        f"() => window.ExpertRoom.sfu().local.getVideoTracks()[0].label !== {before!r}", timeout=10000
    )
    label = switcher.evaluate("() => window.ExpertRoom.sfu().local.getVideoTracks()[0].label")
    selected = switcher.eval_on_selector("#camera-select", "(s) => s.options[s.selectedIndex].textContent")
    assert (before, label) == ("fake_device_0", "fake_device_2") and selected == label
    sent = switcher.evaluate(
        "() => window.ExpertRoom.sfu().publisher.webrtcStuff.pc.getSenders().find((s) => s.track && "
        "s.track.kind === 'video').track.label"
    )
    assert sent == label  # Janus receives the new camera
    for name in ("exp01", "exp03", "exp04"):
        wait_decoding(pages[name], [me["exp02"]], baseline=decoded(pages[name]), timeout=15)

    # exp02 records an opinion: every other page shows it with no reload, on the same calls, and
    # keeps decoding the stage afterwards.
    others = [n for n in NAMES if n != "exp02"]
    for name in others:
        pages[name].evaluate(KEEP_CALLS)
    navigations = {name: [] for name in others}
    for name in others:
        pages[name].on("framenavigated", lambda frame, n=name: navigations[n].append(frame.url))
    switcher.fill("#f-opinion", "建议复查胸部CT，升级抗感染方案")
    switcher.click("#opinion-submit")
    switcher.wait_for_function("() => document.getElementById('opinion-status').textContent !== ''", timeout=10000)
    for name in others:
        item = pages[name].locator(f"#opinion-list li[data-user-id='{me['exp02']}']")
        item.wait_for(timeout=10000)
        assert "升级抗感染方案" in item.inner_text()
    for name in others:
        page = pages[name]
        baseline = decoded(page)
        wait_decoding(page, [u for u in stage if u != me[name]], baseline=baseline, timeout=15)
        assert page.evaluate("() => window.notReloaded") is True and navigations[name] == []
        assert same_calls(page), name
    check_accessibility(pages["exp04"], "sfu-room-after-opinion")

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
    publishers = janus.videoroom("listparticipants", room=room)["participants"]
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

    # The leader withdraws exp04's invitation from the panel list: his page says so, no reload,
    # and Janus no longer holds him in the room.
    name = requests.get(sfu_server.url + "/api/me", headers=_auth(sfu_server, "exp04"), timeout=10).json()["name"]
    leader.locator("#panel-list li", has_text=name).locator("[data-withdraw]").click()
    pages["exp04"].wait_for_selector("#room-error:not([hidden])", timeout=10000)
    leader.wait_for_function("() => document.querySelectorAll('#present li').length === 3", timeout=10000)
    left = janus.videoroom("listparticipants", room=room)["participants"]
    assert str(me["exp04"]) not in {p["display"] for p in left}


def test_room_on_a_phone_in_elder_mode(browser, sfu_server):
    headers = {"Authorization": f"Bearer {sfu_server.login('exp01')}"}
    cases = requests.get(sfu_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    page = open_room(browser, sfu_server, "exp02", case_id, PHONE)
    page.click("#elder-switch")  # staff are not offered it: the switch at the top
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
