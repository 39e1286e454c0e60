"""Janus rooms against a real Janus: one room's credential tells nothing of another room (room ids
cannot be guessed, and Janus lists no private room), the pages name feeds from the server's map
(never from Janus's `display`), and an id the app did not issue is kicked from the room."""

from __future__ import annotations

import time

import pytest

from core import accounts
from core.extensions import db
from hospital.models.expert import ExpertCase
from hospital.seed_expert import CASE_TITLE
from hospital.services import expert, expert_sfu, network
from tests.expert.test_sfu_sockets import JanusClient

pytestmark = pytest.mark.usefixtures("janus")


def _user(username):
    return accounts.get_by_username(username)


def _demo_case() -> ExpertCase:
    """The demo's open room (exp01 leads); exp02 and exp03 accept their invitations."""
    case = db.session.execute(db.select(ExpertCase).filter_by(title=CASE_TITLE)).scalar_one()
    for name in ("exp02", "exp03"):
        expert.answer_invitation(_user(name), case.id, True)
    return case


def _second_case() -> ExpertCase:
    """Another urgent case (its room opens at once): exp01 leads, exp04 is invited and accepts."""
    request = expert.CaseRequest(
        patient_phone=db.session.get(ExpertCase, 1).patient.username,
        title="急性心肌梗死术后远程会诊",
        summary="65岁女性，急性心肌梗死介入术后，心功能不全。",
        questions=["是否调整抗血小板方案？"],
        expert_ids=[network.doctor_for_user(_user("exp04").id).id],
        leader_id=network.doctor_for_user(_user("exp01").id).id,
        urgent=True,
    )
    case = expert.request_case(_user("doc01"), request)
    expert.answer_invitation(_user("exp04"), case.id, True)
    return case


def _seats(janus, room: int) -> set[int]:
    return {p["id"] for p in janus.videoroom("listparticipants", room=room)["participants"]}


def _sync(client: JanusClient, request: str, **fields) -> dict:
    """A synchronous VideoRoom request from a participant's own Janus session (as janus.js sends it)."""
    answer = client.post(f"/{client.session}/{client.handle}", janus="message", body={"request": request, **fields})
    assert answer["janus"] == "success", answer
    return answer["plugindata"]["data"]


def test_one_rooms_credential_tells_nothing_of_another(sfu_app, janus):
    first, second = _demo_case(), _second_case()
    mine = expert_sfu.media_for(_user("exp02").id, first.id)
    theirs = expert_sfu.media_for(_user("exp04").id, second.id)  # the second room is open in Janus
    assert mine["mode"] == theirs["mode"] == "sfu"
    room, other = mine["room"], theirs["room"]
    assert 2**52 <= room < 2**53 and 2**52 <= other < 2**53  # safe JavaScript numbers
    # exp04 is in the second room: Janus holds him there (the room exists, only its id is secret).
    JanusClient(janus.env["JANUS_URL"], theirs["token"]).join(other, theirs["view_id"], theirs["token"])

    # exp02, with his own room's credential, talks to Janus as any page could.
    client = JanusClient(janus.env["JANUS_URL"], mine["token"])
    assert _sync(client, "exists", room=room)["exists"] is True
    assert {r["room"] for r in _sync(client, "list")["list"]} & {room, other} == set()  # private rooms
    # Every id he might derive from his own (neighbours, the case number, the old scheme) is empty.
    guesses = {room + d for d in range(-64, 65) if d} | {room - first.id + second.id, 1_000_000 + second.id}
    guesses |= {second.id, other ^ 1}
    assert other not in guesses
    for guess in sorted(guesses):
        assert _sync(client, "exists", room=guess)["exists"] is False, guess
    listed = _sync(client, "listparticipants", room=room - first.id + second.id)
    assert listed.get("error_code") == 426  # no such room
    # The only way in is the id the server keeps: with it, Janus would list the people (which
    # is why the id must not be guessable).
    assert [p["id"] for p in _sync(client, "listparticipants", room=other)["participants"]] == [theirs["view_id"]]


def test_feeds_are_named_by_the_server_and_unissued_ids_are_kicked(sfu_app, janus):
    case = _demo_case()
    leader, exp02, exp03 = _user("exp01"), _user("exp02"), _user("exp03")
    state = expert.move_floor(leader, case.id, exp02.id, True)
    media = expert_sfu.media_for(exp02.id, case.id)
    # The page names a feed by the stage's map: exp02's publish id is exp02, whatever he tells Janus.
    assert state["feeds"][str(media["publish_id"])] == exp02.id
    assert set(state["feeds"].values()) == set(state["stage"])
    url, room = janus.env["JANUS_URL"], media["room"]

    # exp02 joins under his own id but calls himself exp03: he stays, and is still exp02 to the pages.
    liar = JanusClient(url, media["token"])
    body = {"request": "join", "ptype": "publisher", "room": room, "id": media["publish_id"]}
    body |= {"token": media["token"], "display": str(exp03.id)}
    liar.post(f"/{liar.session}/{liar.handle}", janus="message", body=body)
    # ...and under an id the app never issued (a second, unnamed seat): that one is kicked.
    stray = JanusClient(url, media["token"]).join(room, 4242424242, media["token"])
    assert stray["videoroom"] == "joined"
    ids = {p["id"] for p in janus.videoroom("listparticipants", room=room)["participants"]}
    assert {media["publish_id"], 4242424242} <= ids
    kicked = expert_sfu.enforce_stage(db.session.get(ExpertCase, case.id))
    assert kicked == [4242424242]
    ids = {p["id"] for p in janus.videoroom("listparticipants", room=room)["participants"]}
    assert media["publish_id"] in ids and 4242424242 not in ids
    assert expert.stage_state(db.session.get(ExpertCase, case.id))["feeds"][str(media["publish_id"])] == exp02.id

    # exp03 (in the room, not on the stage) takes exp02's publish id with his own token, before
    # exp02 sits down with it: the sweep finds the seat held through the wrong token and kicks it.
    theirs = expert_sfu.media_for(exp03.id, case.id)
    liar.post(f"/{liar.session}/{liar.handle}", janus="message", body={"request": "leave"})
    deadline = time.monotonic() + 5
    while media["publish_id"] in _seats(janus, room) and time.monotonic() < deadline:
        time.sleep(0.1)
    taken = JanusClient(url, theirs["token"]).join(room, media["publish_id"], theirs["token"])
    assert taken["videoroom"] == "joined"
    assert media["publish_id"] in expert_sfu.sweep_rooms()["kicked"]
    ids = {p["id"] for p in janus.videoroom("listparticipants", room=room)["participants"]}
    assert media["publish_id"] not in ids
    back = JanusClient(url, media["token"]).join(room, media["publish_id"], media["token"])
    assert back["videoroom"] == "joined"  # the seat is his again
    assert media["publish_id"] not in expert_sfu.sweep_rooms()["kicked"]
