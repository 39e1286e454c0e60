"""Sockets against the real gevent server: a doctor who previewed a waiting consultation stops
receiving it once a colleague accepts it; a flood from one socket is stored in the order it was
sent, on PostgreSQL too."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import requests
import socketio

from tests.conftest import LiveServer, _make_app
from tests.consultations.test_sockets import DOCTOR, PATIENT, Chat, _accepted_consultation

pytestmark = pytest.mark.live


def _put_on_shift_now(db_path, colleague_of: str = DOCTOR) -> tuple[str, int]:
    """A second doctor of that doctor's department on a shift that runs now: (username, department)."""
    from core import clock
    from core.extensions import db
    from core.models import User
    from hospital.models.network import Department, Doctor
    from hospital.models.rota import Shift

    app = _make_app(db_path)
    with app.app_context():
        first = db.session.execute(
            db.select(Doctor).join(User, User.id == Doctor.user_id).where(User.username == colleague_of)
        ).scalar_one()
        department = db.session.get(Department, first.department_id)
        doctor = (
            db.session.execute(
                db.select(Doctor)
                .join(User, User.id == Doctor.user_id)
                .where(Doctor.department_id == department.id, User.username != colleague_of)
                .order_by(Doctor.id)
            )
            .scalars()
            .first()
        )
        now = clock.now()
        db.session.execute(
            db.delete(Shift).where(Shift.doctor_id == doctor.id, Shift.ends_at > now - timedelta(days=1))
        )
        db.session.add(
            Shift(
                doctor_id=doctor.id,
                department_id=department.id,
                day=clock.today() - timedelta(days=1),
                kind="oncall",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=3),
                capacity=10,
            )
        )
        db.session.commit()
        found = doctor.user.username, department.id
        db.session.remove()
        db.engine.dispose()
    return found


def test_a_doctor_who_previewed_stops_receiving_once_a_colleague_accepts(live_server):
    colleague, card = _put_on_shift_now(live_server.db_path)
    patient_token, doctor_token = live_server.login(PATIENT), live_server.login(DOCTOR)
    hdr = {"Authorization": f"Bearer {patient_token}"}
    diagnosis = requests.get(live_server.url + "/api/diagnoses", headers=hdr, timeout=10).json()[0]["id"]
    created = requests.post(
        live_server.url + "/api/consultations",
        headers=hdr,
        timeout=10,
        json={"department_id": card, "diagnosis_id": diagnosis, "complaint": "胸闷复诊"},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    patient, previewer = Chat(live_server.url, patient_token), Chat(live_server.url, live_server.login(colleague))
    left: list[dict] = []
    previewer.client.on("room.left", left.append)
    try:
        assert patient.join(cid)["ok"]
        assert previewer.join(cid)["ok"], "a doctor on shift may look at a waiting consultation of his queue"
        assert patient.send(cid, "等待中的第一句", "w-1")["ok"]
        assert [m["text"] for m in previewer.wait_for(1)] == ["等待中的第一句"]
        accepted = requests.post(
            f"{live_server.url}/api/consultations/{cid}/accept",
            timeout=10,
            headers={"Authorization": f"Bearer {doctor_token}"},
        )
        assert accepted.status_code == 200, accepted.text
        deadline = time.monotonic() + 5
        while not left and time.monotonic() < deadline:
            time.sleep(0.02)
        assert left and left[0]["room"] == f"consultation:{cid}"
        count = len(previewer.received)
        assert patient.send(cid, "接诊后的私密内容", "w-2")["ok"]
        time.sleep(0.5)
        assert [m["text"] for m in previewer.received[count:]] == []  # nothing after
        assert previewer.join(cid)["ok"] is False  # and he cannot come back
        refused = previewer.send(cid, "我还能说话吗", "x-1")
        assert refused["ok"] is False and refused["code"] == 403
    finally:
        patient.client.disconnect()
        previewer.client.disconnect()


def _flood_in_order(server, count: int = 300) -> None:
    cid, patient_token, doctor_token = _accepted_consultation(server)
    sender = socketio.Client(reconnection=False)
    sender.connect(server.url, auth={"token": patient_token}, transports=["websocket"], wait_timeout=10)
    doctor = Chat(server.url, doctor_token)
    acks: list[dict] = []
    all_acked = threading.Event()

    def acked(answer):
        acks.append(answer)
        if len(acks) == count:
            all_acked.set()

    try:
        assert sender.call("join", {"room": f"consultation:{cid}"}, timeout=10)["ok"]
        assert doctor.join(cid)["ok"]
        for n in range(count):  # no waiting between sends: the server backs up
            sender.emit("message", {"consultation_id": cid, "text": f"第{n}条", "client_id": f"f-{n}"}, callback=acked)
        assert all_acked.wait(120), f"{len(acks)} of {count} acknowledged"
        assert all(a["ok"] for a in acks)
        by_seq = sorted((a["message"]["seq"], int(a["message"]["client_id"][2:])) for a in acks)
        assert [n for _seq, n in by_seq] == list(range(count)), "stored out of the order sent"
        received = [m for m in doctor.wait_for(count, timeout=30) if m["client_id"].startswith("f-")]
        assert [int(m["client_id"][2:]) for m in received] == list(range(count)), "relayed out of order"
        stored = requests.get(
            f"{server.url}/api/consultations/{cid}/messages",
            params={"since": 0},
            headers={"Authorization": f"Bearer {patient_token}"},
            timeout=30,
        ).json()
        flood = [m for m in stored if (m.get("client_id") or "").startswith("f-")]
        assert [int(m["client_id"][2:]) for m in flood] == list(range(count))
    finally:
        sender.disconnect()
        doctor.client.disconnect()


def test_a_flood_from_one_socket_is_stored_and_relayed_in_order(live_server):
    _flood_in_order(live_server)


@pytest.mark.postgres
def test_a_flood_from_one_socket_keeps_its_order_on_postgres(pg_app, tmp_path):
    pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    from core.extensions import db

    db.session.remove()
    url = pg_app.config["SQLALCHEMY_DATABASE_URI"]
    server = LiveServer(tmp_path / "unused.db", tmp_path / "server.log", {"DATABASE_URL": url})
    try:
        _flood_in_order(server)
    finally:
        server.stop()
