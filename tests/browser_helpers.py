"""What the browser tests share: logging in by clicking through the login page, opening a role's
page in a new context, counting a person's taps and keys, saving screenshots, calling the API as a
demo user, and telling whether a page was reloaded. Fixtures (`live_server`, `browser`) stay in
conftest.py; these are plain helpers, imported by name."""

from __future__ import annotations

import re

import requests

from tests.conftest import ARTIFACTS, DEMO_PASSWORD, DESKTOP, check_accessibility

HOME = re.compile(r".*/$")


def _base(server_or_url) -> str:
    return server_or_url if isinstance(server_or_url, str) else server_or_url.url


def log_in(page, server_or_url, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in as a person would: the login page, his name and password, the button; then his home."""
    page.goto(_base(server_or_url) + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("#login-submit")
    page.wait_for_url(HOME)


def open_as(browser, server_or_url, username: str, options: dict = DESKTOP, timeout: float | None = None, **context):
    """A new browser context (DESKTOP or PHONE, plus e.g. locale) with `username` logged in, on his
    home page. The page's context is `page.context` (closed by conftest after the test)."""
    page = browser.new_context(**options, **context).new_page()
    if timeout is not None:
        page.set_default_timeout(timeout)
    log_in(page, server_or_url, username)
    return page


def shot(page, name: str) -> None:
    """A full-page screenshot under test-artifacts/ (a name may hold a folder: "journeys/x")."""
    path = ARTIFACTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


class Taps:
    """Counts what a person does on a page: clicks or taps, keystrokes (a shortcut is one), fields
    typed (a whole text is one) and choices in a list. `count` is the total."""

    def __init__(self, page, name: str = ""):
        self.page, self.name = page, name
        self.clicks = self.keys = self.typed = 0

    @property
    def count(self) -> int:
        return self.clicks + self.keys + self.typed

    def tap(self, selector: str) -> None:
        """A click (a mouse, or a finger on a page opened without touch)."""
        self.page.click(selector)
        self.clicks += 1

    def touch(self, selector: str) -> None:
        """A finger's tap on a phone page (a context opened with has_touch); a click on a desktop."""
        self._press(selector)
        self.clicks += 1

    def _press(self, selector: str) -> None:
        target = self.page.locator(selector).first
        if self.page.evaluate("() => navigator.maxTouchPoints > 0"):
            target.tap()
        else:
            target.click()

    def key(self, combination: str) -> None:
        self.page.keyboard.press(combination)
        self.keys += 1

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.typed += 1

    def select(self, selector: str, value: str | None = None, label: str | None = None) -> None:
        """One choice from a list."""
        if label is not None:
            self.page.select_option(selector, label=label)
        else:
            self.page.select_option(selector, value)
        self.clicks += 1

    def touch_to(self, selector: str, screenshot: str) -> None:
        """A tap (or a click on a desktop) that opens the next page, which is then checked (axe, width) and saved as
        "<name>-<count>-<screenshot>"."""
        with self.page.expect_navigation():
            self._press(selector)
        self.clicks += 1
        check_accessibility(self.page, f"{self.name}-{self.count:02d}-{screenshot}")


def min_size(page, selector: str) -> float:
    """The smallest width or height among the elements `selector` finds (touch targets)."""
    return page.evaluate(
        "(s) => Math.min(...[...document.querySelectorAll(s)].map((e) => {"
        " const r = e.getBoundingClientRect(); return Math.min(r.width, r.height); }))",
        selector,
    )


def api_as(server, username: str):
    """call(method, path, **kwargs) -> JSON, as `username` with a bearer token; asserts success."""
    headers = {"Authorization": f"Bearer {server.login(username)}"}

    def call(method: str, path: str, **kwargs):
        response = requests.request(method, server.url + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code < 300, (path, response.text[:300])
        return response.json()

    return call


def mark_page(page) -> None:
    """A flag that survives only as long as the page is not reloaded."""
    page.evaluate("() => { window.__noReload = true; }")


def not_reloaded(page) -> bool:
    return page.evaluate("() => window.__noReload === true")
