"""The expert room with real python-socketio clients against the live gevent server."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import socketio

pytestmark = pytest.mark.live

PANEL = ["doc01"] + [f"exp{n:02d}" for n in range(1, 16)]  # requesting doctor, leader exp01, 14 experts


class Participant:
    """A socket client that records every event it receives."""

    def __init__(self, server, username):
        self.username = username
        self.token = server.login(username)
        self.events: list[tuple[str, dict]] = []
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", lambda event, data=None: self.events.append((event, data)))
        self.sio.connect(server.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)
        self.user_id = requests.get(server.url + "/api/me", headers=self.headers, timeout=10).json()["id"]

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, event, data):
        return self.sio.call(event, data, timeout=10)

    def got(self, name, predicate=lambda data: True):
        return [data for event, data in self.events if event == name and predicate(data)]


def disconnect_all(participants) -> None:
    """Disconnect every client at once. One python-socketio disconnect takes 3 s: after the
    Socket.IO DISCONNECT packet the server closes the WebSocket, the client's reader thread takes
    the server's close frame, and websocket-client's close() then waits its full 3 s timeout for
    a close frame that already went by (the server keeps the TCP connection open meanwhile).
    One after the other, 16 clients made each teardown 48 s; side by side they take 3 s."""
    participants = list(participants)
    with ThreadPoolExecutor(max_workers=max(1, len(participants))) as pool:
        list(pool.map(lambda person: person.sio.disconnect(), participants))


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def room(live_server):
    people = {name: Participant(live_server, name) for name in PANEL}
    cases = requests.get(live_server.url + "/api/expert-cases", headers=people["exp01"].headers, timeout=10).json()
    case_id = next(c["id"] for c in cases if c["status"] == "in_session")
    yield live_server, people, case_id
    disconnect_all(people.values())


def join_all(people, case_id):
    acks = {}
    for name, person in people.items():
        acks[name] = person.call("join", {"room": f"case:{case_id}"})
        assert acks[name]["ok"], (name, acks[name])
    return acks


def test_sixteen_join_presence_chat_signals_and_the_stage(room):
    server, people, case_id = room
    acks = join_all(people, case_id)
    assert len(people) == 16
    assert len(acks["exp15"]["present"]) == 16 and len(acks["exp15"]["peers"]) == 15
    first = people["doc01"]
    assert wait_for(lambda: len(first.got("case.presence", lambda d: d["action"] == "joined")) == 15)

    # Chat reaches everyone, the sender included.
    assert people["exp07"].call("message", {"room": f"case:{case_id}", "text": "患者血气结果已上传"})["ok"]
    assert wait_for(lambda: all(p.got("message", lambda d: d["text"] == "患者血气结果已上传") for p in people.values()))

    # A signal reaches only its addressee (by socket id, and by user id).
    target = people["exp09"]
    sent = people["exp03"].call(
        "signal",
        {
            "room": f"case:{case_id}",
            "to": acks["exp09"]["sid"],
            "kind": "offer",
            "data": {"type": "offer", "sdp": "v=0"},
        },
    )
    assert sent == {"ok": True}
    by_user = people["exp04"].call(
        "signal", {"room": f"case:{case_id}", "to": target.user_id, "kind": "candidate", "data": {"candidate": "x"}}
    )
    assert by_user == {"ok": True}
    assert wait_for(lambda: len(target.got("signal")) == 2)
    time.sleep(0.5)
    assert [name for name, p in people.items() if p.got("signal")] == ["exp09"]
    assert target.got("signal")[0]["from_user"] == people["exp03"].user_id
    stray = people["exp03"].call("signal", {"room": f"case:{case_id}", "to": "not-a-sid", "kind": "offer", "data": {}})
    assert stray["ok"] is False

    # The leader moves the floor; the stage never exceeds its bound (4, the leader holds one).
    leader = people["exp01"]
    assert (
        people["exp02"].call("case.floor", {"case_id": case_id, "user_id": people["exp02"].user_id})["error"]
        == "leader_only"
    )
    assert people["exp05"].call("case.hand", {"case_id": case_id, "raised": True})["state"]["queue"] == [
        people["exp05"].user_id
    ]
    answers = [
        leader.call("case.floor", {"case_id": case_id, "user_id": people[n].user_id, "action": "give"})
        for n in ("exp05", "exp06", "exp07", "exp08", "exp10")
    ]
    assert [a["ok"] for a in answers] == [True, True, True, False, False]
    assert answers[3]["error"] == "stage_full"
    assert answers[0]["state"]["queue"] == []  # given the floor, his hand goes down
    assert wait_for(lambda: len(first.got("case.stage")) >= 4)
    assert all(len(state["stage"]) <= 4 for p in people.values() for state in p.got("case.stage"))
    taken = leader.call("case.floor", {"case_id": case_id, "user_id": people["exp05"].user_id, "action": "take"})
    again = leader.call("case.floor", {"case_id": case_id, "user_id": people["exp08"].user_id, "action": "give"})
    assert taken["ok"] and again["ok"] and len(again["state"]["stage"]) == 4
    assert people["exp05"].user_id not in again["state"]["stage"]

    # Everything is kept with the case.
    events = requests.get(f"{server.url}/api/expert-cases/{case_id}/events", headers=leader.headers, timeout=10).json()
    kinds = {e["kind"] for e in events}
    assert {"presence", "message", "stage", "hand"} <= kinds


def test_non_invitees_are_refused_and_cannot_listen(room):
    server, people, case_id = room
    join_all(people, case_id)
    outsiders = []
    for outsider in ("doc05", "13800000002", "admin"):
        person = Participant(server, outsider)
        outsiders.append(person)
        assert person.call("join", {"room": f"case:{case_id}"})["ok"] is False
        assert person.call("message", {"room": f"case:{case_id}", "text": "hi"})["ok"] is False
        assert (
            person.call(
                "signal", {"room": f"case:{case_id}", "to": people["exp01"].user_id, "kind": "offer", "data": {}}
            )["ok"]
            is False
        )
        people["exp01"].call("message", {"room": f"case:{case_id}", "text": f"secret for {outsider}"})
        time.sleep(0.3)
        assert not person.got("message") and not person.got("case.presence")
    disconnect_all(outsiders)
    with pytest.raises(socketio.exceptions.ConnectionError):
        socketio.Client(reconnection=False).connect(server.url, auth={"token": "forged"}, transports=["websocket"])


def test_a_participant_who_reconnects_gets_back_into_the_room(room):
    server, people, case_id = room
    join_all(people, case_id)
    leaving = people.pop("exp12")
    last_seen = max(
        e["id"]
        for e in requests.get(
            f"{server.url}/api/expert-cases/{case_id}/events", headers=leaving.headers, timeout=10
        ).json()
    )
    leaving.sio.disconnect()
    watcher = people["exp01"]
    assert wait_for(lambda: watcher.got("case.presence", lambda d: d["action"] == "left" and d["name"] == "邱秀珍"))
    watcher.call("message", {"room": f"case:{case_id}", "text": "你不在时说的话"})

    back = Participant(server, "exp12")
    people["exp12"] = back
    ack = back.call("join", {"room": f"case:{case_id}", "after": last_seen})
    assert ack["ok"] and back.user_id in {p["user_id"] for p in ack["present"]}
    assert "你不在时说的话" in [e["text"] for e in ack["missed"] if e["kind"] == "message"]
    assert wait_for(lambda: watcher.got("case.presence", lambda d: d["action"] == "joined" and d["name"] == "邱秀珍"))
    assert back.call("message", {"room": f"case:{case_id}", "text": "我回来了"})["ok"]
    assert wait_for(lambda: watcher.got("message", lambda d: d["text"] == "我回来了"))
