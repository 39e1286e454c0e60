"""Two experts in the room in Chromium: one records an opinion and the other's panel shows it with
no reload (a marker set on the window survives); an image shared in the room opens on everyone's
viewer when the leader shows it; a wrong opinion is refused in words naming the field."""

from io import BytesIO

import pytest
import requests
from PIL import Image, ImageDraw

from tests.conftest import ARTIFACTS, DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


class Taps:
    """Counts the clicks of a journey."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector):
        self.page.click(selector)
        self.count += 1


def _xray_png(path):
    image = Image.new("RGB", (480, 360), (20, 20, 24))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 60, 230, 300), outline=(230, 230, 230), width=6)
    draw.ellipse((250, 60, 390, 300), outline=(230, 230, 230), width=6)
    draw.rectangle((228, 40, 252, 320), fill=(200, 200, 200))
    out = BytesIO()
    image.save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def enter_room(browser, server, username, title):
    """From the home page, by clicks: the menu's expert consultations, then the case."""
    page = browser.new_context(**DESKTOP).new_page()
    taps = Taps(page)
    page.goto(server.url + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "Demo@2026")
    taps.click("#login-submit")
    page.wait_for_load_state()
    taps.click("a[href='/expert-cases']")
    taps.click(f"a:has-text('{title}')")
    page.wait_for_selector("#present li", timeout=20000)
    page.evaluate("() => { window.__sameDocument = 'kept'; }")
    return page, taps


def test_an_opinion_and_a_shown_image_reach_the_other_without_a_reload(browser, live_server, tmp_path):
    headers = {"Authorization": f"Bearer {live_server.login('exp01')}"}
    cases = requests.get(live_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
    case = next(c for c in cases if c["status"] == "in_session")
    leader, leader_taps = enter_room(browser, live_server, "exp01", case["title"])
    second, taps = enter_room(browser, live_server, "exp02", case["title"])
    leader.wait_for_function("() => document.querySelectorAll('#present li').length === 2", timeout=15000)

    # a wrong opinion: said in words, naming the field
    taps.click("#opinion-submit")
    second.wait_for_selector("#e-opinion-text:not([hidden])")
    assert "我的意见" in second.inner_text("#e-opinion-text") and "错误" in second.inner_text("#e-opinion-text")
    assert second.get_attribute("#f-opinion", "aria-invalid") == "true"

    second.fill("#f-opinion", "建议尽早无创通气，2小时后复查血气。")
    taps.click("#opinion-submit")
    leader.wait_for_selector("#opinion-list li:has-text('建议尽早无创通气')", timeout=20000)
    second.wait_for_selector("#opinion-list li:has-text('建议尽早无创通气')")
    assert second.is_hidden("#e-opinion-text")

    # the expert corrects it; the leader's panel follows
    taps.click("#opinion-list li:has-text('建议尽早无创通气') [data-edit]")
    second.fill("#f-opinion", "建议尽早无创通气，1小时后复查血气。")
    taps.click("#opinion-submit")
    leader.wait_for_selector("#opinion-list li:has-text('1小时后复查血气') .edited:not([hidden])", timeout=20000)
    assert leader.locator("#opinion-list li:has-text('建议尽早无创通气')").count() == 1

    # an image shared without leaving the room, shown to everyone by the leader
    second.fill("#f-title", "胸部X线片")
    second.select_option("#f-kind", "image")
    second.set_input_files("#f-file", str(_xray_png(tmp_path / "chest.png")))
    taps.click("#upload")
    second.wait_for_selector("#material-list li:has-text('胸部X线片')", timeout=20000)
    assert second.is_hidden("#material-error")
    leader.wait_for_selector("#material-list li:has-text('胸部X线片') [data-show]", timeout=20000)
    assert second.locator("#material-list [data-show]").count() == 0  # only the leader shows
    leader_taps.click("#material-list li:has-text('胸部X线片') [data-show]")
    second.wait_for_function(
        "() => { const i = document.getElementById('viewer-image');"
        " return !i.hidden && i.complete && i.naturalWidth === 480; }",
        timeout=20000,
    )
    assert "胸部X线片" in second.inner_text("#material-shown")
    for page in (leader, second):
        assert page.evaluate("() => window.__sameDocument") == "kept"  # no reload: the call stayed up
    second.locator("#material-viewer").scroll_into_view_if_needed()
    second.screenshot(path=str(ARTIFACTS / "expert-viewer-shown.png"))
    check_accessibility(second, "expert-panels-expert")
    check_accessibility(leader, "expert-panels-leader")
    # taps: sign in, menu, case (3); the expert's empty try, opinion, edit, save, upload (5)
    assert taps.count == 8 and leader_taps.count == 4


def test_the_panels_on_a_phone_in_elder_mode(browser, live_server):
    """The expert on a phone, elder mode on: the panels fit the screen, targets are large, and an
    opinion still goes through without a reload."""
    headers = {"Authorization": f"Bearer {live_server.login('exp03')}"}
    case = next(
        c
        for c in requests.get(live_server.url + "/api/expert-cases", headers=headers, timeout=10).json()
        if c["status"] == "in_session"
    )
    page = browser.new_context(**PHONE).new_page()
    page.goto(live_server.url + "/login")
    page.fill("#f-username", "exp03")
    page.fill("#f-password", "Demo@2026")
    page.click("#login-submit")
    page.click("#elder-switch")
    page.wait_for_selector("html.elder")
    page.goto(f"{live_server.url}/expert-cases/{case['id']}")
    page.wait_for_selector("#present li", timeout=20000)
    page.evaluate("() => { window.__sameDocument = 'kept'; }")
    page.fill("#f-opinion", "同意组长意见，注意监测肾功能。")
    page.click("#opinion-submit")
    page.wait_for_selector("#opinion-list li:has-text('注意监测肾功能')", timeout=20000)
    assert page.evaluate("() => window.__sameDocument") == "kept"
    box = page.locator("#opinion-submit").bounding_box()
    size = [box["width"], box["height"]]
    assert size[0] >= 60 and size[1] >= 60, size
    page.locator("#opinions").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "expert-panels-phone-elder.png"))
    check_accessibility(page, "expert-panels-phone-elder")
