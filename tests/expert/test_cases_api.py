"""Expert cases through the API: lifecycle, invitations, opinions, the signed conclusion, the PDF."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from core.extensions import db
from core.models import AuditEntry, Notification
from hospital.models.expert import CaseConclusion, ExpertCase
from hospital.services import expert, network
from tests.conftest import DEMO_PASSWORD


def _png() -> bytes:
    """A real PNG: stored images are decoded and re-encoded, so a header alone no longer passes."""
    from io import BytesIO as _Buffer

    from PIL import Image

    out = _Buffer()
    Image.new("RGB", (2, 2), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


@pytest.fixture
def login(demo_users):
    return lambda username: demo_users.login(username, DEMO_PASSWORD)["headers"]


def doctor_id(username):
    from core import accounts

    return network.doctor_for_user(accounts.get_by_username(username).id).id


def make_case(client, headers, **overrides):
    body = {
        "patient_phone": "13800000001",
        "title": "高血压合并糖尿病肾病会诊",
        "summary": "血压控制不佳，肌酐升高。",
        "questions": ["降压方案？", "是否需要透析评估？"],
        "expert_ids": [doctor_id("exp02"), doctor_id("exp03"), doctor_id("exp04")],
        "leader_id": doctor_id("exp02"),
        "scheduled_at": "2030-01-01T09:00:00+08:00",
        **overrides,
    }
    return client.post("/api/expert-cases", json=body, headers=headers)


def test_lifecycle_opinions_signature_and_report(demo_client, login):
    doc01, leader, exp03, exp04 = login("doc01"), login("exp02"), login("exp03"), login("exp04")
    response = make_case(demo_client, doc01)
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    case_id = case["id"]
    assert case["status"] == "scheduled" and len(case["panel"]) == 4
    invited = db.session.execute(db.select(Notification).filter_by(event="case.invited")).scalars().all()
    assert any(n.payload["case_id"] == case_id for n in invited)

    assert demo_client.get(f"/api/expert-cases/{case_id}", headers=login("exp10")).status_code == 404
    assert (
        demo_client.post(f"/api/expert-cases/{case_id}/answer", json={"accept": True}, headers=exp03).status_code == 200
    )
    declined = demo_client.post(
        f"/api/expert-cases/{case_id}/answer", json={"accept": False, "reason": "出差"}, headers=exp04
    )
    assert declined.get_json()["status"] == "declined"

    assert demo_client.post(f"/api/expert-cases/{case_id}/start", headers=exp03).status_code == 403
    started = demo_client.post(f"/api/expert-cases/{case_id}/start", headers=leader)
    assert started.status_code == 200 and started.get_json()["status"] == "in_session"

    assert (
        demo_client.post(f"/api/expert-cases/{case_id}/opinions", json={"text": "同意"}, headers=exp04).status_code
        == 403
    )
    opinion = demo_client.post(
        f"/api/expert-cases/{case_id}/opinions", json={"text": "建议ACEI减量并监测肾功能。"}, headers=exp03
    )
    assert opinion.status_code == 201
    assert demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=doc01).status_code == 409

    conclusion = {
        "diagnosis": "糖尿病肾病3期；高血压2级",
        "treatment_advice": "调整降压药物，低蛋白饮食。",
        "answers": ["改用CCB联合利尿剂。", "暂不需要透析，3个月复查。"],
    }
    url = f"/api/expert-cases/{case_id}/conclusion"
    assert demo_client.post(url, json=conclusion, headers=exp03).status_code == 403
    short = demo_client.post(url, json={**conclusion, "answers": ["只有一个"]}, headers=leader)
    assert short.status_code == 422 and short.get_json()["reason"] == "answers_required"
    signed = demo_client.post(url, json=conclusion, headers=leader)
    assert signed.status_code == 201 and signed.get_json()["valid"] is True
    again = demo_client.post(url, json=conclusion, headers=leader)
    assert again.status_code == 409 and again.get_json()["reason"] == "illegal_transition"

    patient = login("13800000001")
    pdf = demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=patient)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.data)).pages)
    for expected in (
        "远程多学科专家会诊报告",
        "糖尿病肾病3期",
        "暂不需要透析",
        "建议ACEI减量",
        "王建国",
        "签名验证：有效",
    ):
        assert expected in text, expected
    assert "**********" in text
    assert demo_client.get(f"/api/expert-cases/{case_id}/report.pdf", headers=login("13800000002")).status_code == 404
    assert db.session.execute(db.select(AuditEntry).filter_by(object_type="expert_report")).first() is not None

    closed = demo_client.post(f"/api/expert-cases/{case_id}/close", headers=doc01)
    assert closed.get_json()["status"] == "closed"
    assert demo_client.post(f"/api/expert-cases/{case_id}/close", headers=doc01).status_code == 409


def test_tampered_conclusion_no_longer_verifies(demo_client, login):
    case = db.session.execute(db.select(ExpertCase).filter_by(status="in_session")).scalars().first()
    leader = case.leader.user
    expert.conclude(leader, case.id, "诊断", "建议", ["a", "b", "c"])
    assert expert.verify_conclusion(case)
    row = db.session.execute(db.select(CaseConclusion).filter_by(case_id=case.id)).scalar_one()
    row.diagnosis = "改过的诊断"
    db.session.commit()
    assert not expert.verify_conclusion(case)


def test_materials_are_type_and_size_checked(demo_client, login):
    doc01 = login("doc01")
    case_id = make_case(demo_client, doc01).get_json()["id"]
    url = f"/api/expert-cases/{case_id}/materials"
    ok = demo_client.post(
        url,
        data={"kind": "image", "title": "胸片", "file": (BytesIO(PNG), "x.png", "image/png")},
        headers=doc01,
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201, ok.get_json()
    fake = demo_client.post(
        url,
        data={"kind": "lab", "file": (BytesIO(b"hello"), "x.png", "image/png")},
        headers=doc01,
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and fake.get_json()["reason"] == "file_type"
    from core import accounts
    from core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as too_big:
        expert.add_material(
            accounts.get_by_username("doc01"),
            case_id,
            "lab",
            "",
            "a.pdf",
            b"%PDF" + b"0" * (5 << 20),
        )
    assert too_big.value.reason == "file_size"
    got = demo_client.get(f"{url}/{ok.get_json()['id']}", headers=login("exp02"))
    assert got.status_code == 200 and got.data == PNG
    assert demo_client.get(f"{url}/{ok.get_json()['id']}", headers=login("exp10")).status_code == 404


def test_refusals_and_visibility(demo_client, login):
    response = make_case(demo_client, login("doc01"), expert_ids=[doctor_id("exp02")], leader_id=doctor_id("exp02"))
    assert response.status_code == 422 and response.get_json()["reason"] == "too_few_experts"
    no_time = make_case(demo_client, login("doc01"), scheduled_at=None)
    assert no_time.status_code == 422 and "scheduled_at" in no_time.get_json()["errors"]["json"]
    assert make_case(demo_client, login("13800000001")).status_code == 403
    colleague = demo_client.get("/api/expert-cases", headers=login("doc05")).get_json()
    assert not any(c["title"].startswith("慢阻肺") for c in colleague)  # not every doctor of the hospital (issue 11)
    assert demo_client.get("/api/expert-cases", headers=login("exp10")).get_json() != []  # invited to the demo case
    assert demo_client.get("/api/expert-cases/activity", headers=login("doc01")).status_code == 403
    activity = demo_client.get("/api/expert-cases/activity", headers=login("admin"))
    assert activity.status_code == 200 and activity.get_json()["by_status"]["in_session"] >= 1


def test_urgent_case_invites_on_duty_experts_and_opens_the_room(demo_client, login):
    from datetime import timedelta

    from core import clock
    from hospital.services import rota

    on_call_day = (clock.local_now() - timedelta(hours=8)).date()  # the 24 h duty that covers now
    for username in ("exp11", "exp07"):
        rota.add_shift(doctor_id(username), on_call_day, "oncall")
    icu = network.doctor_for_user(network.get_doctor(doctor_id("exp11")).user_id).department_id
    response = make_case(
        demo_client,
        login("doc01"),
        urgent=True,
        scheduled_at=None,
        urgent_department_ids=[icu],
        expert_ids=[doctor_id("exp02")],
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "in_session"
    invited = {m["name"] for m in body["panel"]}
    assert "戴永康" in invited and "苏建新" not in invited  # ICU on duty, not radiology
    urgent = db.session.execute(db.select(Notification).filter_by(event="case.urgent")).scalars().all()
    assert {n.user_id for n in urgent} >= {network.get_doctor(doctor_id("exp11")).user_id}


def test_a_scheduled_case_opens_its_room_at_its_time(demo_client, login):
    from datetime import datetime

    from core import clock
    from hospital.services import expert

    case_id = make_case(demo_client, login("doc01")).get_json()["id"]
    assert expert.open_due_cases() == []  # 2030 has not come yet
    with clock.frozen(datetime.fromisoformat("2030-01-01T09:00:30+08:00")):
        assert expert.open_due_cases() == [case_id]
        assert expert.open_due_cases() == []  # once only, however often the task runs
    case = demo_client.get(f"/api/expert-cases/{case_id}", headers=login("exp02")).get_json()
    assert case["status"] == "in_session"
    started = db.session.execute(db.select(Notification).filter_by(event="case.started")).scalars().all()
    told = {n.user_id for n in started if n.payload["case_id"] == case_id}
    assert told >= {network.get_doctor(doctor_id(name)).user_id for name in ("exp02", "doc01")}  # leader, requester


def test_a_declined_invitation_says_why_on_the_room_page(demo_app, demo_client, login):
    from tests.conftest import csrf_of, page_login

    case_id = make_case(demo_client, login("doc01")).get_json()["id"]
    expert_page = demo_app.test_client()
    page_login(expert_page, "exp03")
    token = csrf_of(expert_page.get(f"/expert-cases/{case_id}").get_data(as_text=True))
    answer = expert_page.post(f"/expert-cases/{case_id}/decline", data={"csrf_token": token, "reason": "当天门诊"})
    assert answer.status_code == 302
    requester = demo_app.test_client()
    page_login(requester, "doc01")
    assert "当天门诊" in requester.get(f"/expert-cases/{case_id}").get_data(as_text=True)
