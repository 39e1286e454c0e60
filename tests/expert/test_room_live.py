"""The expert room live, in-process (Flask-SocketIO's test client on the demo data): opinions and
the conclusion reach the others, the leader shows a material to everyone, a lecture of 100 viewers
keeps presence, chat, hands and its presenters' stage, and the record follows join, leave, rejoin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader

from core import accounts, clock, sessions
from core.extensions import db, socketio
from hospital.models.expert import LECTURE_GUESTS_MAX, AttendanceInterval, ExpertCase
from hospital.seed_expert import CASE_TITLE
from hospital.services import expert, expert_report

# Within the test clients' session lifetime: a socket is refused at its next event once its session
# has ended, so the room's record is timed from now, not from a date years ahead.
T0 = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)


def _user(username):
    return accounts.get_by_username(username)


def _client(app, username):
    token = sessions.open_api_session(_user(username)).token
    client = socketio.test_client(app, auth={"token": token})
    assert client.is_connected(), username
    return client


def _events(client, name):
    """The payloads of `name` received since the last call (a "message" arrives unwrapped)."""
    found = [e["args"] for e in client.get_received() if e["name"] == name]
    return [args[0] if isinstance(args, list) else args for args in found]


@pytest.fixture
def panel(demo_app):
    """The demo's open room with exp01 (leader), exp02, exp03 in it and doc05 (not on the panel)."""
    case_id = db.session.execute(db.select(ExpertCase.id).filter_by(title=CASE_TITLE)).scalar_one()
    for name in ("exp02", "exp03"):
        expert.answer_invitation(_user(name), case_id, True)
    clients = {name: _client(demo_app, name) for name in ("exp01", "exp02", "exp03", "doc05")}
    yield case_id, clients
    for client in clients.values():
        if client.is_connected():
            client.disconnect()


def _join(client, case_id):
    return client.emit("join", {"room": f"case:{case_id}"}, callback=True)


def test_an_opinion_and_the_conclusion_reach_the_others_and_no_one_else(demo_client, demo_users, panel):
    case_id, c = panel
    for name in ("exp01", "exp02", "exp03"):
        assert _join(c[name], case_id)["ok"]
    refused = _join(c["doc05"], case_id)
    assert refused["ok"] is False  # not on the panel: never in the room
    for client in c.values():
        client.get_received()

    headers = demo_users.login("exp02", "Demo@2026")["headers"]
    sent = demo_client.post(f"/api/expert-cases/{case_id}/opinions", json={"text": "建议无创通气"}, headers=headers)
    assert sent.status_code == 201
    for name in ("exp01", "exp03"):
        [update] = _events(c[name], "case.opinion")
        assert update["text"] == "建议无创通气" and update["action"] == "created"
        assert update["user_id"] == _user("exp02").id and update["expert_name"] == _user("exp02").name
    assert _events(c["doc05"], "case.opinion") == []

    edit = f"/api/expert-cases/{case_id}/opinions/{sent.get_json()['id']}"
    assert demo_client.patch(edit, json={"text": "建议无创通气，复查血气"}, headers=headers).status_code == 200
    [edited] = _events(c["exp03"], "case.opinion")
    assert edited["action"] == "edited" and edited["text"] == "建议无创通气，复查血气" and edited["edited_at"]

    expert.conclude(_user("exp01"), case_id, "慢阻肺急性加重", "无创通气", ["是", "调整", "康复"])
    received = c["exp03"].get_received()
    names = [e["name"] for e in received]
    assert names.index("case.conclusion") < names.index("case.status")
    conclusion = next(e["args"][0] for e in received if e["name"] == "case.conclusion")
    assert conclusion["diagnosis"] == "慢阻肺急性加重" and conclusion["signed_by"] == _user("exp01").name
    assert _events(c["doc05"], "case.conclusion") == []


def test_only_the_leader_shows_a_material_and_everyone_in_the_room_sees_it(panel):
    case_id, c = panel
    for name in ("exp01", "exp02", "exp03"):
        assert _join(c[name], case_id)["ok"]
    material_id = expert.add_material(_user("exp02"), case_id, "image", "胸片", "x.png", _png()).id
    for client in c.values():
        client.get_received()
    refused = c["exp02"].emit("case.show_material", {"case_id": case_id, "material_id": material_id}, callback=True)
    assert refused["ok"] is False and refused["code"] == 403 and refused["reason"] == "leader_only"
    outsider = c["doc05"].emit("case.show_material", {"case_id": case_id, "material_id": material_id}, callback=True)
    assert outsider["ok"] is False and outsider["code"] == 403  # never joined the room
    bad = c["exp01"].emit("case.show_material", {"case_id": case_id, "material_id": "x"}, callback=True)
    assert bad["ok"] is False and bad["code"] == 422 and "material_id" in bad["errors"]["json"]
    shown = c["exp01"].emit("case.show_material", {"case_id": case_id, "material_id": material_id}, callback=True)
    assert shown["ok"] and shown["material"]["id"] == material_id
    for name in ("exp01", "exp02", "exp03"):
        [event] = _events(c[name], "case.material_shown")
        assert event["id"] == material_id and event["content_type"] == "image/png" and event["by"]
    assert _events(c["doc05"], "case.material_shown") == []


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def test_a_lecture_of_a_hundred_viewers(demo_app, lecture):
    case_id, room = lecture.case_id, f"case:{lecture.case_id}"
    host = _client(demo_app, lecture.host)
    presenters = [_client(demo_app, name) for name in lecture.presenters]
    viewers = [_client(demo_app, name) for name in lecture.viewers]
    everyone = [host, *presenters, *viewers]
    try:
        acks = [_join(client, case_id) for client in everyone]
        assert all(ack["ok"] for ack in acks)
        assert len(acks[-1]["present"]) == 103  # the host, 2 presenters, 100 viewers
        presenter_ids = [_user(n).id for n in lecture.presenters]
        assert acks[-1]["state"]["stage"] == presenter_ids and acks[-1]["state"]["mode"] == "lecture"
        # only the presenters send video: the viewers' media links all receive only
        assert all(not link["send_video"] for ack in acks[3:] for link in ack["links"])
        assert all(link["send_video"] for ack in acks[1:3] for link in ack["links"])
        for client in everyone:
            client.get_received()

        # a viewer asks by chat: everyone gets it once
        assert viewers[57].emit("message", {"room": room, "text": "无创通气的参数怎么设？"}, callback=True)["ok"]
        for client in everyone:
            assert len(_events(client, "message")) == 1

        # ten raise their hands, in order; the stage stays the presenters'
        for viewer in viewers[:10]:
            assert viewer.emit("case.hand", {"case_id": case_id, "raised": True}, callback=True)["ok"]
        db.session.expire_all()
        state = expert.stage_state(db.session.get(ExpertCase, case_id))
        assert state["queue"] == [_user(n).id for n in lecture.viewers[:10]] and state["stage"] == presenter_ids

        # a viewer may not bring anyone up; the host brings up to the guests' limit
        first = _user(lecture.viewers[0]).id
        refused = viewers[1].emit("case.floor", {"case_id": case_id, "user_id": first}, callback=True)
        assert refused["ok"] is False and refused["code"] == 403
        for name in lecture.viewers[:LECTURE_GUESTS_MAX]:
            ack = host.emit("case.floor", {"case_id": case_id, "user_id": _user(name).id}, callback=True)
            assert ack["ok"], ack
        full = host.emit("case.floor", {"case_id": case_id, "user_id": _user(lecture.viewers[5]).id}, callback=True)
        assert full["ok"] is False and full["code"] == 409 and full["reason"] == "stage_full"
        assert len(_events(viewers[99], "case.stage")) == 10 + LECTURE_GUESTS_MAX
        # the record: everyone in the room, per hospital 25 each
        db.session.expire_all()
        record = expert.attendance(_user(lecture.host), case_id)
        by_hospital = {h["hospital_id"]: h for h in record["by_hospital"]}
        assert [by_hospital[h]["attended"] for h in lecture.hospital_ids] == [25, 25, 25, 25]
    finally:
        for client in everyone:
            client.disconnect()
    db.session.expire_all()
    assert _open_intervals(case_id, "room") == 0  # every stay closed by the disconnects
    expert.conclude(_user(lecture.host), case_id, "培训完成", "按规范开展无创通气", [])
    assert _open_intervals(case_id, "stage") == 0
    case = db.session.get(ExpertCase, case_id)
    pdf = expert_report.report_for(case, [])
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages).replace(" ", "")
    assert "各医院参训人数" in text and text.count("（主讲）") == 2
    for number in range(1, 5):
        assert f"培训协作医院{number}：25人" in text
    assert "学员099" in text


def _open_intervals(case_id, kind):
    query = db.select(AttendanceInterval).filter_by(case_id=case_id, kind=kind, ended_at=None)
    return len(db.session.execute(query).scalars().all())


def test_the_record_follows_join_leave_and_rejoin_across_sockets(demo_app, panel):
    case_id, c = panel
    user = _user("exp02")
    with clock.frozen(T0):
        assert _join(c["exp02"], case_id)["ok"]
    second = _client(demo_app, "exp02")  # a second tab of the same person
    with clock.frozen(T0 + timedelta(minutes=1)):
        assert _join(second, case_id)["ok"]
    with clock.frozen(T0 + timedelta(minutes=2)):
        c["exp02"].disconnect()  # one tab closes: he is still in the room
    with clock.frozen(T0 + timedelta(minutes=4)):
        second.disconnect()  # the last one: he left
    again = _client(demo_app, "exp02")
    with clock.frozen(T0 + timedelta(minutes=9)):
        assert _join(again, case_id)["ok"]
    with clock.frozen(T0 + timedelta(minutes=10)):
        again.emit("leave", {"room": f"case:{case_id}"}, callback=True)
    again.disconnect()
    db.session.expire_all()
    rows = db.session.execute(
        db.select(AttendanceInterval)
        .filter_by(case_id=case_id, user_id=user.id, kind="room")
        .order_by(AttendanceInterval.id)
    ).scalars()
    spans = [(r.started_at - T0, r.ended_at - T0) for r in rows]
    assert spans == [(timedelta(0), timedelta(minutes=4)), (timedelta(minutes=9), timedelta(minutes=10))]
