"""Two server processes share Redis as the Socket.IO message queue; Redis stops for about 10 s
under chat load. Messages keep being stored (acknowledged) meanwhile; when the queue returns,
the clients are told to `resync` and fetch what they missed by sequence number, so by the end
every client has every message, in order, none silently lost."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

from tests.conftest import LiveServer, _copy_db, free_port
from tests.consultations.test_sockets import Chat, _accepted_consultation

pytestmark = [pytest.mark.redis, pytest.mark.live]
REDIS = shutil.which("redis-server")


class Redis:
    """A redis-server of our own on a fixed loopback port, so that it can stop and come back."""

    def __init__(self, workdir):
        self.port, self.workdir, self.process = free_port(), workdir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> None:
        argv = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen([*argv, "--dir", str(self.workdir)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Follower(Chat):
    """A chat client that does what the page does on `resync`: join again asking for what it
    missed after the last seq it holds (done by the test's loop, not inside the event)."""

    def __init__(self, url, token):
        super().__init__(url, token)
        self.resync = threading.Event()
        self.resyncs = 0
        self.client.on("resync", self._on_resync)

    def _on_resync(self, _data=None):
        self.resyncs += 1
        self.resync.set()

    def catch_up(self, cid: int) -> None:
        self.resync.clear()
        have = {m["seq"] for m in self.received}
        since = 0
        while since + 1 in have:
            since += 1
        answer = self.join(cid, since=since)
        for message in answer.get("messages", []):
            if message["seq"] not in {m["seq"] for m in self.received}:
                self.received.append(message)

    def seqs(self) -> list[int]:
        return sorted({m["seq"] for m in self.received})


@pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")
def test_a_redis_outage_under_chat_load_loses_no_message(demo_template_db, tmp_path):
    redis = Redis(tmp_path)
    database = _copy_db(demo_template_db, tmp_path / "shared.db")
    env = {"SOCKETIO_MESSAGE_QUEUE": redis.url}
    servers = [LiveServer(database, tmp_path / f"server{n}.log", env) for n in (1, 2)]
    first, second = servers
    try:
        cid, patient_token, doctor_token = _accepted_consultation(first)
        patient, doctor = Follower(first.url, patient_token), Follower(second.url, doctor_token)
        assert patient.join(cid)["ok"] and doctor.join(cid)["ok"]
        sent: list[int] = []
        started = time.monotonic()
        stopped_at = restarted_at = None
        n = 0
        while time.monotonic() - started < 22:
            elapsed = time.monotonic() - started
            if stopped_at is None and elapsed > 4:
                redis.stop()
                stopped_at = elapsed
            if stopped_at is not None and restarted_at is None and elapsed > stopped_at + 10:
                redis.start()
                restarted_at = elapsed
            sender = patient if n % 2 == 0 else doctor
            ack = sender.send(cid, f"消息{n}", f"o-{n}")
            assert ack["ok"], ack  # stored whatever the queue does
            sent.append(ack["message"]["seq"])
            n += 1
            for follower in (patient, doctor):
                if follower.resync.is_set():
                    follower.catch_up(cid)
            time.sleep(0.05)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
            set(sent) <= set(doctor.seqs()) and set(sent) <= set(patient.seqs())
        ):
            for follower in (patient, doctor):
                if follower.resync.is_set():
                    follower.catch_up(cid)
            time.sleep(0.1)
        assert doctor.resyncs >= 1 and patient.resyncs >= 1, "both processes told their clients"
        for follower in (patient, doctor):
            missing = sorted(set(sent) - set(follower.seqs()))
            assert missing == [], f"never delivered: {missing[:20]} ({len(missing)} of {len(sent)})"
        patient.client.disconnect()
        doctor.client.disconnect()
    finally:
        for server in servers:
            server.stop()
        redis.stop()
