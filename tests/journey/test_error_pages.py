"""Error pages (404, 403, 500, a stale form) say what happened in the user's language, on a page
with the way back home; the API keeps its JSON shape."""

from __future__ import annotations

import re

import pytest

from tests.conftest import page_login

ENGLISH = re.compile(r"[A-Za-z]{3,}")


def _visible(html: str) -> str:
    main = html.split('<main id="main" tabindex="-1">', 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", main)


@pytest.fixture
def failing_client(demo_app):
    """The demo app with one page that fails as a bug would, and exceptions handled as in production."""

    @demo_app.get("/boom")
    def boom():
        raise RuntimeError("a bug")

    demo_app.config["PROPAGATE_EXCEPTIONS"] = False
    return demo_app.test_client()


def test_not_found_is_a_chinese_page_with_the_way_home(demo_client):
    response = demo_client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "页面不存在" in html and 'href="/" id="error-home"' in html and "返回首页" in html
    assert not ENGLISH.search(_visible(html)), _visible(html)


def test_forbidden_and_not_yours_are_pages_too(demo_client):
    page_login(demo_client, "13800000001")
    response = demo_client.get("/admin/staff")
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "无权访问" in html and "返回首页" in html and not ENGLISH.search(_visible(html))
    other = demo_client.get("/prescriptions/999999")
    assert other.status_code == 404 and "返回首页" in other.get_data(as_text=True)
    # The API still answers in its JSON shape.
    api = demo_client.get("/api/prescriptions/999999")
    assert api.status_code == 404 and api.get_json()["code"] == 404


def test_a_bug_shows_the_system_error_page_in_the_users_language(failing_client):
    response = failing_client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "系统出错" in html and "返回首页" in html
    assert not ENGLISH.search(_visible(html))
    failing_client.set_cookie("lang", "en")
    english = failing_client.get("/boom").get_data(as_text=True)
    assert "System error" in english and "Back to the home page" in english


def test_a_stale_form_says_so_in_words(demo_client):
    response = demo_client.post("/login", data={"username": "x", "password": "y"})  # no CSRF token
    assert response.status_code == 400 and "表单已失效" in response.get_data(as_text=True)
