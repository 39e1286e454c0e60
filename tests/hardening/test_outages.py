"""Outages heal without a restart. The real server process, under login load, loses its
PostgreSQL (stopped, then started again) or its Redis (stopped for ~10 s):
- PostgreSQL down: every request answers 503 with Retry-After in the error shape, never a 500,
  and /readyz says so; once PostgreSQL is back the same process serves again by itself.
- Redis down: logins keep being answered (the rate limiter counts in memory meanwhile and logs
  it); /readyz reports Redis; everything is back to normal when Redis returns.
Each test starts its own PostgreSQL or Redis on a loopback port, to be free to stop it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import GOOD_PASSWORD, LiveServer, _config_dict, free_port

pytestmark = pytest.mark.live
STAFF = "outage.admin"


def _wait_for(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class OwnPostgres:
    """A PostgreSQL cluster of this test's own, on a free loopback port."""

    def __init__(self, work: Path):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            pytest.skip("PostgreSQL is not installed")
        self.bin = Path(found[-1]).parent
        self.work, self.data, self.port = work, work / "pg", free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(work, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "hospital", "--auth=trust")
        self.url = f"postgresql+psycopg://hospital@127.0.0.1:{self.port}/postgres"
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.work} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.work / "pg.log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop_quietly(self) -> None:
        """At the end: stop it if it runs (the test may have failed while it was down)."""
        subprocess.run(
            [*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )


class OwnRedis:
    def __init__(self, work: Path):
        if shutil.which("redis-server") is None:
            pytest.skip("Redis is not installed")
        self.port, self.work, self.process = free_port(), work, None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self._answers, 20, "Redis to start")

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _prepare_database(url: str) -> None:
    """The schema (migrations) and one staff account to log in with."""
    from flask_migrate import upgrade

    from app import create_app
    from core import accounts
    from core.config import ROOT
    from core.extensions import db

    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        accounts.create_staff(STAFF, "admin", "运维管理员", GOOD_PASSWORD)
        db.session.remove()
        db.engine.dispose()


class Load:
    """Threads logging in and reading /api/me in a loop, recording every answer."""

    def __init__(self, url: str, threads: int = 2):
        self.url, self.answers, self.stopping = url, [], threading.Event()
        self.threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _loop(self) -> None:
        session = requests.Session()
        while not self.stopping.is_set():
            try:
                login = session.post(
                    self.url + "/api/auth/login", json={"username": STAFF, "password": GOOD_PASSWORD}, timeout=15
                )
                self.answers.append(("login", login.status_code, login.headers.get("Retry-After"), _json(login)))
                if login.status_code == 200:
                    me = session.get(
                        self.url + "/api/me", headers={"Authorization": f"Bearer {login.json()['token']}"}, timeout=15
                    )
                    self.answers.append(("me", me.status_code, me.headers.get("Retry-After"), _json(me)))
            except requests.RequestException as err:
                self.answers.append(("error", 0, None, repr(err)))
            time.sleep(0.05)

    def mark(self) -> int:
        return len(self.answers)

    def stop(self) -> list:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.answers


def _json(response) -> dict | None:
    try:
        return response.json()
    except ValueError:
        return None


def _failures(answers: list, log: Path) -> str:
    """What a failed run needs to be understood: the answers that failed and the server's own account."""
    failed = [a for a in answers if a[1] in (0, 500)]
    text = log.read_text(errors="replace")
    # Flask logs "Exception on <path>" before a 500's traceback; gevent's server, for an error that
    # left the app, logs "… failed with <error>" after it.
    marks = [found.start() for found in re.finditer(r"Exception on |failed with ", text)]
    accounts = [text[max(0, at - 3000) : at + 3000] for at in marks[:2]]
    return f"failed answers: {failed}\nthe server's 500s:\n" + "\n…\n".join(accounts)


def _ready(server: LiveServer) -> bool:
    try:
        return requests.get(server.url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def work():
    """A folder the postgres user can reach too (pytest's own are private to this user)."""
    path = Path(tempfile.mkdtemp(prefix="hospital-outage-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_postgresql_restarted_under_load_answers_503_then_recovers_by_itself(work):
    postgres = OwnPostgres(work)
    server = load = None
    try:
        _prepare_database(postgres.url)
        server = LiveServer(work / "unused.db", work / "server.log", env={"DATABASE_URL": postgres.url})
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        _wait_for(lambda: _ready(server), 30, "the server to be ready")
        load = Load(server.url)
        _wait_for(lambda: any(a[1] == 200 for a in load.answers), 30, "logins to work")
        postgres.stop()
        down_from = load.mark()
        _wait_for(lambda: sum(a[1] == 503 for a in load.answers[down_from:]) >= 5, 60, "503s while PostgreSQL is down")
        readiness = requests.get(server.url + "/readyz", timeout=10)
        assert readiness.status_code == 503 and readiness.json()["checks"]["database"] is False
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200  # alive all the same
        postgres.start()
        up_from = load.mark()
        _wait_for(lambda: _ready(server), 60, "readiness after PostgreSQL is back")
        _wait_for(lambda: sum(a[1] == 200 for a in load.answers[up_from:]) >= 5, 60, "logins after recovery")
        answers = load.stop()
        load = None
    finally:
        if load:
            load.stop()
        if server:
            server.stop()
        postgres.stop_quietly()
    statuses = Counter(a[1] for a in answers)
    assert statuses[500] == 0 and statuses[0] == 0, (statuses, _failures(answers, work / "server.log"))
    unavailable = [a for a in answers if a[1] == 503]
    assert unavailable and all(a[2] and a[3]["code"] == 503 and a[3]["message"] for a in unavailable)


def test_redis_stopped_for_ten_seconds_logins_keep_being_answered(work):
    redis_server = OwnRedis(work)
    server = load = None
    try:
        env = {"RATELIMIT_STORAGE_URI": redis_server.url, "SOCKETIO_MESSAGE_QUEUE": redis_server.url}
        db_path = work / "redis.db"
        _prepare_database(f"sqlite:///{db_path}")
        server = LiveServer(db_path, work / "server.log", env=env)
        _wait_for(lambda: _ready(server), 30, "the server to be ready")
        load = Load(server.url)
        _wait_for(lambda: any(a[1] == 200 for a in load.answers), 30, "logins to work")
        redis_server.stop()
        down_from, down_at = load.mark(), time.monotonic()
        readiness = requests.get(server.url + "/readyz", timeout=10)
        assert readiness.status_code == 503 and not all(readiness.json()["checks"].values())
        _wait_for(lambda: time.monotonic() - down_at >= 10, 30, "ten seconds")
        during = load.answers[down_from : load.mark()]
        redis_server.start()
        _wait_for(lambda: _ready(server), 60, "readiness after Redis is back")
        after = load.mark()
        _wait_for(lambda: sum(a[1] == 200 for a in load.answers[after:]) >= 3, 60, "logins after Redis is back")
        answers = load.stop()
        load = None
    finally:
        if load:
            load.stop()
        if server:
            server.stop()
        redis_server.stop()
    logins_during = [a for a in during if a[0] == "login"]
    assert len(logins_during) >= 3, during  # the load went on during the outage
    assert all(a[1] == 200 for a in logins_during), Counter(a[1] for a in logins_during)
    assert Counter(a[1] for a in answers)[500] == 0
    assert "falling back to in-memory storage" in server.log_path.read_text()  # and it says so
