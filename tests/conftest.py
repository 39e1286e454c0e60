"""Shared fixtures: an app on a fresh database built by the migrations, clients, users, a live
server process and a browser. Domain test folders add their own fixtures in their conftest."""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from app import create_app
from core.config import ROOT, TestConfig
from tests import zygote

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def _build_database(path: Path, seed: bool) -> None:
    """Build a database file with `flask db upgrade` (the migrations), optionally the demo data."""
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if seed:
            app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
        from core.extensions import db

        db.engine.dispose()
    # Fold the write-ahead log into the file once every connection is closed: copies of the
    # template take the main file only, and must hold every seeder's rows.
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _config_dict() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An empty schema, built once per session through the migrations."""
    path = tmp_path_factory.mktemp("templates") / "empty.db"
    _build_database(path, seed=False)
    return path


@pytest.fixture(scope="session")
def demo_template_db(tmp_path_factory) -> Path:
    """The schema plus `flask seed-demo`, built once per session."""
    path = tmp_path_factory.mktemp("templates") / "demo.db"
    _build_database(path, seed=True)
    return path


def _copy_db(template: Path, target: Path) -> Path:
    shutil.copyfile(template, target)
    return target


def _make_app(db_path: Path, **overrides):
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", **overrides})
    return app


@pytest.fixture
def app(template_db, tmp_path):
    """An app on a fresh, empty database (schema from the migrations)."""
    app = _make_app(_copy_db(template_db, tmp_path / "test.db"), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        yield app
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_app(demo_template_db, tmp_path):
    """An app on a fresh copy of the demo data."""
    app = _make_app(_copy_db(demo_template_db, tmp_path / "demo.db"), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    with app.app_context():
        yield app
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


DEMO_PASSWORD = TestConfig.DEMO_PASSWORD
GOOD_PASSWORD = "Passw0rd!x"


def valid_id(born: str = "19600101", serial: str = "123") -> str:
    """A valid resident ID number for a birth date yyyymmdd and 3-digit serial."""
    from core.resident_id import check_digit

    first17 = f"350102{born}{serial}"
    return first17 + check_digit(first17)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_login(client, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page (with its CSRF token), as a browser would."""
    client.delete_cookie("session")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


class Users:
    """Create users and log them in through the real API (tokens) — the AuthActions of flaskr."""

    def __init__(self, client):
        self.client = client
        self._serial = 100

    def patient(self, name="测试患者", phone=None, born="19600101"):
        self._serial += 1
        phone = phone or f"139{self._serial:08d}"
        response = self.client.post(
            "/api/auth/register",
            json={
                "name": name,
                "id_number": valid_id(born, f"{self._serial % 1000:03d}"),
                "phone": phone,
                "password": GOOD_PASSWORD,
            },
        )
        assert response.status_code == 201, response.get_json()
        return self.login(phone, GOOD_PASSWORD)

    def staff(self, role: str, username: str | None = None, name="测试员工"):
        from core import accounts

        self._serial += 1
        username = username or f"{role}{self._serial}"
        accounts.create_staff(username, role, name, GOOD_PASSWORD)
        return self.login(username, GOOD_PASSWORD)

    def login(self, username: str, password: str) -> dict:
        """Log in; returns {"token", "user", "headers"} for bearer calls."""
        response = self.client.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return {**body, "headers": {"Authorization": f"Bearer {body['token']}"}}


@pytest.fixture
def users(client):
    return Users(client)


@pytest.fixture
def demo_users(demo_client):
    return Users(demo_client)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`python app.py` (gevent + Socket.IO) on a loopback port, on its own database file."""

    def __init__(self, db_path: Path, log_path: Path, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        environment = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": TestConfig.SECRET_KEY,
            "DATA_KEY": TestConfig.DATA_KEY,
            "PASSWORD_HASH_METHOD": TestConfig.PASSWORD_HASH_METHOD,
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "LOOPBACK_ICE_ONLY": "1",
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "PUBLIC_BASE_URL": self.url,
            **(env or {}),
        }
        self.log_path = log_path
        # `python app.py`, forked from a process that has imported the app once (tests/zygote.py)
        self.process = zygote.spawn(environment, log_path)
        try:
            self._wait()
        except RuntimeError:
            self.stop()
            raise

    def _wait(self, timeout: float = 120) -> None:
        """Until the server answers (a busy machine makes it slower, not wrong: the limit is a
        last resort, and a slow answer is waited for rather than taken for a failure)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                requests.get(self.url + "/api/hospitals", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def login(self, username: str, password: str = DEMO_PASSWORD) -> str:
        response = requests.post(
            self.url + "/api/auth/login", json={"username": username, "password": password}, timeout=10
        )
        response.raise_for_status()
        return response.json()["token"]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def live_server(demo_template_db, tmp_path):
    """A real server process on a fresh copy of the demo data."""
    server = LiveServer(_copy_db(demo_template_db, tmp_path / "live.db"), tmp_path / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skipped with the reason when it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _close_the_tests_browser_contexts(request):
    """Close every browser context a test opened, whether it passed or failed: an open page keeps
    its fake camera, WebRTC calls and timers running, and a few of them (the expert room's four
    participants) slowed every later test of the suite."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    before = set(browser.contexts)
    yield
    for context in browser.contexts:
        if context not in before:
            context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def check_accessibility(page, name: str) -> list:
    """Run axe-core (vendored) on the page; fail on serious or critical findings or on a page wider
    than the screen (sideways scrolling on a phone); save a screenshot."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # Evaluated through the DevTools protocol, which the page's CSP (script-src 'self') allows.
    page.evaluate((ROOT / "static/vendor/axe-core/axe.min.js").read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"{name}: the page is wider than the screen ({width[0]} > {width[1]} px)"
    assert not bad, f"{name}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in bad)
    return result["violations"]


@pytest.fixture
def pg_app(tmp_path):
    """An app on a fresh PostgreSQL database built by the migrations (TEST_POSTGRES_URL's server)."""
    base = os.environ.get("TEST_POSTGRES_URL")
    if not base:
        pytest.skip("TEST_POSTGRES_URL is not set (make test starts PostgreSQL on loopback when installed)")
    import uuid

    import sqlalchemy as sa
    from flask_migrate import upgrade

    name = f"test_{uuid.uuid4().hex[:12]}"
    admin_engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    app = create_app(
        {
            **_config_dict(),
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 20, "max_overflow": 40},
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        yield app
        from core.extensions import db

        db.session.remove()
        db.engine.dispose()
    with admin_engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()
