"""Lecture mode, the leader's "show to everyone", opinion edits and the room's record (join / leave
intervals, stage intervals, attendance per hospital, the report PDF) through the API and services."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader

from core import accounts, clock
from core.extensions import db
from hospital.models.expert import LECTURE_STAGE_MAX, LECTURE_VIEWERS_MAX, ExpertCase
from hospital.seed_expert import CASE_TITLE
from hospital.services import expert, network
from tests.conftest import DEMO_PASSWORD, csrf_of, page_login
from tests.expert.conftest import make_audience

T0 = datetime(2030, 3, 1, 1, 0, tzinfo=UTC)


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def login(demo_users):
    return lambda username: demo_users.login(username, DEMO_PASSWORD)["headers"]


def _user(username):
    return accounts.get_by_username(username)


def _doctor_id(username) -> int:
    return network.doctor_for_user(_user(username).id).id


@pytest.fixture
def case_id(demo_app) -> int:
    """The demo's open room: doc01 requested it, exp01 leads, exp02..exp15 were invited."""
    case = db.session.execute(db.select(ExpertCase).filter_by(title=CASE_TITLE)).scalar_one()
    for name in ("exp02", "exp03"):
        expert.answer_invitation(_user(name), case.id, True)
    return case.id


def _patient_of(case_id) -> str:
    return db.session.get(ExpertCase, case_id).patient.username


def lecture_body(**overrides) -> dict:
    return {
        "patient_phone": "13800000001",
        "title": "重症慢阻肺无创通气培训",
        "summary": "面向网络医院的重症救治培训。",
        "mode": "lecture",
        "expert_ids": [],
        "presenter_ids": [_doctor_id("exp02"), _doctor_id("exp03")],
        "leader_id": _doctor_id("exp01"),
        "scheduled_at": "2030-01-01T09:00:00+08:00",
        "audience_hospital_ids": [],
        **overrides,
    }


def test_only_the_leader_shows_a_material_to_everyone(demo_client, login, case_id):
    upload = demo_client.post(
        f"/api/expert-cases/{case_id}/materials",
        data={"kind": "image", "title": "胸部CT", "file": (BytesIO(_png()), "ct.png")},
        headers=login("exp02"),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    url = f"/api/expert-cases/{case_id}/materials/{upload.get_json()['id']}/show"
    refused = demo_client.post(url, headers=login("exp02"))
    assert refused.status_code == 403 and refused.get_json()["reason"] == "leader_only"
    assert demo_client.post(url, headers=login("exp10")).status_code == 403  # an expert of the panel, not its leader
    assert demo_client.post(url, headers=login("doc05")).status_code == 404  # not in the case at all
    assert demo_client.post(url, headers=login(_patient_of(case_id))).status_code == 403  # the patient
    shown = demo_client.post(url, headers=login("exp01"))
    assert shown.status_code == 200 and shown.get_json()["title"] == "胸部CT"
    missing = demo_client.post(f"/api/expert-cases/{case_id}/materials/999999/show", headers=login("exp01"))
    assert missing.status_code == 404
    framed = demo_client.get(shown.get_json()["url"], headers=login("exp03"))
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN" and framed.mimetype == "image/png"


def test_opinions_are_edited_only_by_their_author(demo_client, login, case_id):
    opinions = f"/api/expert-cases/{case_id}/opinions"
    created = demo_client.post(opinions, json={"text": "建议无创通气"}, headers=login("exp02"))
    assert created.status_code == 201 and created.get_json()["user_id"] == _user("exp02").id
    url = f"/api/expert-cases/{case_id}/opinions/{created.get_json()['id']}"
    assert demo_client.patch(url, json={"text": "改一下"}, headers=login("exp03")).status_code == 404
    short = demo_client.patch(url, json={"text": " "}, headers=login("exp02"))
    assert short.status_code == 422 and "text" in short.get_json()["errors"]["json"]
    edited = demo_client.patch(url, json={"text": "建议无创通气，2小时后复查血气"}, headers=login("exp02"))
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    texts = [o["text"] for o in demo_client.get(f"/api/expert-cases/{case_id}/opinions", headers=login("exp03")).json]
    assert texts == ["建议无创通气，2小时后复查血气"]


def test_a_lecture_has_its_presenters_on_stage_and_its_audience_invited(demo_client, login):
    hospital_id = network.doctor_for_user(_user("exp05").id).hospital_id
    body = lecture_body(audience_hospital_ids=[hospital_id])
    response = demo_client.post("/api/expert-cases", json=body, headers=login("doc01"))
    assert response.status_code == 201, response.get_json()
    lecture = response.get_json()
    assert lecture["mode"] == "lecture"
    assert lecture["presenter_user_ids"] == [_user("exp02").id, _user("exp03").id]
    assert all(m["invitation"] == "accepted" for m in lecture["panel"])  # an audience needs no answer
    assert any(m["user_id"] == _user("exp05").id for m in lecture["panel"])
    started = demo_client.post(f"/api/expert-cases/{lecture['id']}/start", headers=login("exp01"))
    assert started.get_json()["stage_user_ids"] == lecture["presenter_user_ids"]
    case = db.session.get(ExpertCase, lecture["id"])
    assert expert.stage_state(case)["capacity"] == LECTURE_STAGE_MAX


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"presenter_ids": []}, "presenter_ids"),
        ({"presenter_ids": "three"}, "presenter_ids"),
        ({"mode": "webinar"}, "mode"),
    ],
)
def test_a_lecture_request_names_the_field_at_fault(demo_client, login, overrides, field):
    if overrides.get("presenter_ids") == "three":
        overrides = {"presenter_ids": [_doctor_id(n) for n in ("exp02", "exp03", "exp04")]}
    response = demo_client.post("/api/expert-cases", json=lecture_body(**overrides), headers=login("doc01"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"], response.get_json()


def test_a_lecture_holds_at_most_its_viewers(demo_client, login):
    hospital_ids, viewers = make_audience(LECTURE_VIEWERS_MAX + 1, 2)
    response = demo_client.post(
        "/api/expert-cases", json=lecture_body(audience_hospital_ids=hospital_ids), headers=login("doc01")
    )
    assert response.status_code == 422 and response.get_json()["reason"] == "too_many_viewers"
    assert "audience_hospital_ids" in response.get_json()["errors"]["json"]
    assert "101" in response.get_json()["message"]


def test_a_lecture_of_a_hundred_viewers_is_accepted(lecture):
    case = db.session.get(ExpertCase, lecture.case_id)
    viewers = expert.participant_user_ids(case) - set(case.presenter_user_ids) - {case.leader.user_id}
    assert len(viewers) == LECTURE_VIEWERS_MAX + 1  # and the requesting doctor
    assert case.stage_user_ids == case.presenter_user_ids and case.status == "in_session"


def test_the_record_keeps_every_stay_and_stage_turn_and_the_report_lists_them(demo_client, login, case_id):
    leader, exp02, exp03 = _user("exp01"), _user("exp02"), _user("exp03")
    steps = [
        (0, lambda: expert.record_presence(exp02, case_id, "joined")),
        (1, lambda: expert.record_presence(exp03, case_id, "joined")),
        (2, lambda: expert.move_floor(leader, case_id, exp02.id, True)),
        (5, lambda: expert.move_floor(leader, case_id, exp02.id, False)),
        (6, lambda: expert.record_presence(exp02, case_id, "left")),
        (10, lambda: expert.record_presence(exp02, case_id, "joined")),  # rejoins: a second stay
        (12, lambda: expert.record_presence(exp02, case_id, "left")),
    ]
    for minute, step in steps:
        with clock.frozen(T0 + timedelta(minutes=minute)):
            step()
    with clock.frozen(T0 + timedelta(minutes=20)):
        record = demo_client.get(f"/api/expert-cases/{case_id}/attendance", headers=login("exp03")).get_json()
    people = {p["user_id"]: p for p in record["participants"]}
    two = people[exp02.id]
    assert [(s["from"][11:16], s["to"][11:16]) for s in two["intervals"]] == [("09:00", "09:06"), ("09:10", "09:12")]
    assert [(s["from"][11:16], s["to"][11:16]) for s in two["stage"]] == [("09:02", "09:05")]
    assert two["seconds_in_room"] == 8 * 60 and two["seconds_on_stage"] == 3 * 60
    assert two["first_join"][11:16] == "09:00" and two["last_leave"][11:16] == "09:12" and not two["present"]
    three = people[exp03.id]
    assert three["present"] and three["last_leave"] is None and three["seconds_in_room"] == 19 * 60
    hospitals = {h["hospital_id"]: h for h in record["by_hospital"]}
    assert hospitals[network.doctor_for_user(exp02.id).hospital_id]["attended"] >= 1

    url = f"/api/expert-cases/{case_id}/attendance"
    assert demo_client.get(url, headers=login("doc05")).status_code == 404
    assert demo_client.get(url, headers=login(_patient_of(case_id))).status_code == 403

    with clock.frozen(T0 + timedelta(minutes=30)):
        expert.conclude(leader, case_id, "慢阻肺急性加重", "无创通气", ["是", "调整", "康复"])
    pdf = demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=login("doc01"))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    assert "参会记录" in text
    assert f"{exp02.name}" in text and "09:00–09:06" in text.replace(" ", "") and "09:10–09:12" in text.replace(" ", "")
    assert "上台：2030-03-0109:02–09:05" in text.replace(" ", "").replace("\n", "")


def test_without_scripts_a_refused_opinion_comes_back_next_to_its_form(demo_client, case_id):
    page_login(demo_client, "exp02")
    room = demo_client.get(f"/expert-cases/{case_id}").get_data(as_text=True)
    assert 'id="opinion-form"' in room and 'id="material-viewer"' in room and 'id="lecture"' in room
    response = demo_client.post(f"/expert-cases/{case_id}/opinion", data={"csrf_token": csrf_of(room), "text": " "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html[html.index('id="opinion-error"') :].split("</p>")[0]
    assert "hidden" not in error.split(">")[0] and "⚠" in error
    lecture_page = demo_client.get("/expert-cases").get_data(as_text=True)
    assert 'id="f-mode-lecture"' in lecture_page and 'name="audience_hospital_ids"' in lecture_page
