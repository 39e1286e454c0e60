"""A real Janus for the expert room's tests: its own configuration folder, free loopback ports, ICE
on the loopback interface only; skipped with the reason when Debian's `janus` is not installed."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests

from core import accounts
from core.config import ROOT
from core.extensions import db
from hospital.models.expert import LECTURE_VIEWERS_MAX
from hospital.services import expert, network
from tests.conftest import DEMO_PASSWORD, _copy_db, _make_app, free_port


class JanusProcess:
    """Janus started from scripts/janus/*.jcfg.in (as `make run` does); stop() and start() again
    keep its ports and configuration, as a restart in production would."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.http_port, self.admin_port = free_port(), free_port()
        low = random.randrange(30000, 59000, 200)
        rendered = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts/janus_conf.py"),
                str(folder),
                "--http-port",
                str(self.http_port),
                "--admin-port",
                str(self.admin_port),
                "--ice",
                "lo",
                "--rtp",
                f"{low}-{low + 199}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.env = dict(line.split("=", 1) for line in rendered.split())
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def config(self) -> dict:
        """The app's settings for this Janus."""
        return {key: value for key, value in self.env.items() if key.startswith("JANUS_")}

    def start(self) -> None:
        self.starts += 1
        self.log = log = (self.folder / f"janus-{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            ["janus", f"--config={self.folder / 'janus.jcfg'}", f"--configs-folder={self.folder}", "--disable-colors"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("janus exited: " + (self.folder / f"janus-{self.starts}.log").read_text()[-2000:])
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError("janus did not start")

    def ping(self) -> bool:
        try:
            body = {"janus": "ping", "transaction": "t", "admin_secret": self.env["JANUS_ADMIN_SECRET"]}
            return requests.post(self.env["JANUS_ADMIN_URL"], json=body, timeout=1).json().get("janus") == "pong"
        except (requests.RequestException, ValueError):
            return False

    def admin(self, verb: str, **fields) -> dict:
        body = {"janus": verb, "transaction": "t", "admin_secret": self.env["JANUS_ADMIN_SECRET"], **fields}
        return requests.post(self.env["JANUS_ADMIN_URL"], json=body, timeout=5).json()

    def videoroom(self, request: str, **fields) -> dict:
        answer = self.admin("message_plugin", plugin="janus.plugin.videoroom", request={"request": request, **fields})
        return answer["response"]

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        self.log.close()


@pytest.fixture
def janus(tmp_path):
    """A running Janus for one test, stopped afterwards."""
    if shutil.which("janus") is None:
        pytest.skip("Debian's janus is not installed (scripts/system-deps.sh installs it as root)")
    server = JanusProcess(tmp_path / "janus")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sfu_app(demo_template_db, tmp_path, janus):
    """The app (in-process) on the demo data, with the real Janus above and a stage of 4."""
    app = _make_app(
        _copy_db(demo_template_db, tmp_path / "sfu.db"),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        EXPERT_STAGE_SIZE=4,
        JANUS_PUBLIC_URL=janus.env["JANUS_URL"],
        **janus.config,
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


TRAINING_HOSPITALS = 4


@dataclass
class Lecture:
    case_id: int
    hospital_ids: list[int]
    viewers: list[str]  # usernames
    presenters: list[str]
    host: str


def _doctor_id(username: str) -> int:
    return network.doctor_for_user(accounts.get_by_username(username).id).id


def make_audience(count: int = LECTURE_VIEWERS_MAX, hospitals: int = TRAINING_HOSPITALS) -> tuple[list[int], list[str]]:
    """`count` doctors spread over new network hospitals (the demo network's own stay out of it)."""
    hospital_ids, usernames = [], []
    for h in range(hospitals):
        hospital = network.create_hospital(f"TRN{h}", f"培训协作医院{h + 1}", f"Training hospital {h + 1}")
        department = network.create_department(hospital.id, "ICU", "重症医学科", "Critical Care Medicine")
        hospital_ids.append(hospital.id)
        for n in range(h, count, hospitals):
            username = f"viewer{n:03d}"
            network.create_doctor(
                username, f"学员{n:03d}", DEMO_PASSWORD, hospital.id, department.id, "attending", date(2015, 9, 1)
            )
            usernames.append(username)
    return hospital_ids, usernames


@pytest.fixture
def lecture(demo_app) -> Lecture:
    """A lecture in session: exp02 and exp03 present, exp01 hosts, 100 doctors of 4 hospitals watch."""
    hospital_ids, viewers = make_audience()
    requester = accounts.get_by_username("doc01")
    case = expert.request_case(
        requester,
        expert.CaseRequest(
            patient_phone="13800000001",
            title="重症慢阻肺无创通气培训",
            summary="面向网络医院医务人员的重症救治培训。",
            questions=[],
            expert_ids=[],
            leader_id=_doctor_id("exp01"),
            urgent=True,  # opens the room at once
            mode="lecture",
            presenter_ids=[_doctor_id("exp02"), _doctor_id("exp03")],
            audience_hospital_ids=hospital_ids,
        ),
    )
    return Lecture(case.id, hospital_ids, viewers, ["exp02", "exp03"], "exp01")
