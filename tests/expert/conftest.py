"""A real Janus for the expert room's tests: its own configuration folder, free loopback ports, ICE
on the loopback interface only; skipped with the reason when Debian's `janus` is not installed."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from core.config import ROOT
from tests.conftest import free_port


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
