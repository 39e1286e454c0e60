"""Quick replies (常用语): each doctor's own ordered list, a default set in his language, only the
owner reads or changes one (another doctor gets 404), bad input is a 422 naming the field."""

from __future__ import annotations

import threading

from core.extensions import db
from hospital.models.quick_replies import MAX_PER_DOCTOR, QuickReply
from hospital.services import quick_replies
from tests.conftest import DEMO_PASSWORD, page_login

URL = "/api/quick-replies"


def _doctor(demo_users, username="doc28"):
    return demo_users.login(username, DEMO_PASSWORD)["headers"]


def _texts(client, headers):
    response = client.get(URL, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [r["text"] for r in response.get_json()]


def test_a_doctor_starts_with_the_default_set_in_his_language_once(demo_client, demo_users):
    doctor = _doctor(demo_users)
    texts = _texts(demo_client, doctor)
    assert texts == list(quick_replies.DEFAULTS["zh"]) and "请问您最近血压控制得怎么样？" in texts
    assert _texts(demo_client, doctor) == texts  # given once, not again
    english = _doctor(demo_users, "doc26")
    demo_client.set_cookie("lang", "en")
    assert _texts(demo_client, english) == list(quick_replies.DEFAULTS["en"])
    for reply in demo_client.get(URL, headers=english).get_json():
        assert demo_client.delete(f"{URL}/{reply['id']}", headers=english).status_code == 204
    assert _texts(demo_client, english) == []  # deleting them all leaves the list empty


def test_add_edit_delete_and_reorder_his_own(demo_client, demo_users):
    doctor = _doctor(demo_users)
    first = demo_client.get(URL, headers=doctor).get_json()
    added = demo_client.post(URL, json={"text": "  请按时复诊。 "}, headers=doctor)
    assert added.status_code == 201 and added.get_json()["text"] == "请按时复诊。"
    reply_id = added.get_json()["id"]
    assert _texts(demo_client, doctor)[-1] == "请按时复诊。"  # added at the end
    edited = demo_client.patch(f"{URL}/{reply_id}", json={"text": "请一个月后复诊。"}, headers=doctor)
    assert edited.status_code == 200 and edited.get_json()["text"] == "请一个月后复诊。"
    ids = [reply_id] + [r["id"] for r in first]
    ordered = demo_client.put(f"{URL}/order", json={"ids": ids}, headers=doctor)
    assert ordered.status_code == 200 and [r["id"] for r in ordered.get_json()] == ids
    assert [r["position"] for r in ordered.get_json()] == list(range(len(ids)))
    assert _texts(demo_client, doctor)[0] == "请一个月后复诊。"
    assert demo_client.delete(f"{URL}/{first[0]['id']}", headers=doctor).status_code == 204
    assert first[0]["text"] not in _texts(demo_client, doctor)
    assert db.session.get(QuickReply, first[0]["id"]) is None


def test_another_doctor_gets_404_and_other_roles_403(demo_client, demo_users):
    owner, other = _doctor(demo_users), _doctor(demo_users, "doc26")
    reply_id = demo_client.get(URL, headers=owner).get_json()[0]["id"]
    before = db.session.get(QuickReply, reply_id).text
    assert demo_client.patch(f"{URL}/{reply_id}", json={"text": "改掉"}, headers=other).status_code == 404
    assert demo_client.delete(f"{URL}/{reply_id}", headers=other).status_code == 404
    assert reply_id not in [r["id"] for r in demo_client.get(URL, headers=other).get_json()]
    mine = [r["id"] for r in demo_client.get(URL, headers=other).get_json()]
    refused = demo_client.put(f"{URL}/order", json={"ids": [reply_id, *mine[1:]]}, headers=other)
    assert refused.status_code == 422 and "ids" in refused.get_json()["errors"]["json"]
    db.session.expire_all()
    assert db.session.get(QuickReply, reply_id).text == before
    patient = demo_users.login("13800000001", DEMO_PASSWORD)["headers"]
    assert demo_client.get(URL, headers=patient).status_code == 403
    assert demo_client.post(URL, json={"text": "x"}, headers=patient).status_code == 403
    assert demo_client.get(URL).status_code == 401


def test_bad_input_is_422_naming_the_field(demo_client, demo_users):
    doctor = _doctor(demo_users)
    existing = demo_client.get(URL, headers=doctor).get_json()
    for body in ({"text": "字" * 201}, {"text": ""}, {}, {"text": 5}):
        answer = demo_client.post(URL, json=body, headers=doctor)
        assert answer.status_code == 422 and "text" in answer.get_json()["errors"]["json"], body
    for text, reason in (("   ", "empty_text"), (existing[0]["text"], "duplicate_text")):
        answer = demo_client.post(URL, json={"text": text}, headers=doctor)
        assert answer.status_code == 422 and answer.get_json()["reason"] == reason
        assert "text" in answer.get_json()["errors"]["json"]
    assert demo_client.post(URL, json={"text": "字" * 200}, headers=doctor).status_code == 201  # the limit itself
    ids = [r["id"] for r in existing]
    for body in ({"ids": ids[:-1]}, {"ids": ids + ids[:1]}, {"ids": "1,2"}, {}):
        answer = demo_client.put(f"{URL}/order", json=body, headers=doctor)
        assert answer.status_code == 422 and "ids" in answer.get_json()["errors"]["json"], body
    assert demo_client.patch(f"{URL}/{ids[0]}", json={"text": ""}, headers=doctor).status_code == 422
    assert demo_client.patch(f"{URL}/99999999999999999999", json={"text": "x"}, headers=doctor).status_code == 404


def test_a_doctor_keeps_at_most_fifty(demo_client, demo_users):
    doctor = _doctor(demo_users)
    have = len(_texts(demo_client, doctor))
    for n in range(MAX_PER_DOCTOR - have):
        assert demo_client.post(URL, json={"text": f"常用语 {n}"}, headers=doctor).status_code == 201
    answer = demo_client.post(URL, json={"text": "再多一条"}, headers=doctor)
    assert answer.status_code == 422 and answer.get_json()["reason"] == "too_many_quick_replies"


def test_the_api_is_in_the_openapi_document(demo_client):
    paths = demo_client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/quick-replies"])
    assert {"patch", "delete"} <= set(paths["/api/quick-replies/{reply_id}"])
    assert "put" in paths["/api/quick-replies/order"] and "get" in paths["/api/me/shifts"]


def test_the_page_and_the_chat_carry_the_partial(demo_client):
    page_login(demo_client, "doc28")
    html = demo_client.get("/").get_data(as_text=True)
    assert 'href="/quick-replies"' in html and "我的常用语" in html
    page = demo_client.get("/quick-replies").get_data(as_text=True)
    assert 'data-quick-replies-editing="1"' in page and "js/quick_replies.js" in page
    page_login(demo_client, "13800000001")
    assert demo_client.get("/quick-replies").status_code == 403


def test_first_visits_at_once_give_the_defaults_once(demo_app, demo_users):
    headers = demo_users.login("doc27", DEMO_PASSWORD)["headers"]
    barrier, answers = threading.Barrier(4), []

    def first_visit() -> None:
        with demo_app.app_context():
            client = demo_app.test_client()
            barrier.wait()
            response = client.get(URL, headers=headers)
            answers.append((response.status_code, len(response.get_json() or [])))
            db.session.remove()

    threads = [threading.Thread(target=first_visit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [code for code, _ in answers] == [200] * 4, answers
    count = db.session.execute(db.select(db.func.count()).select_from(QuickReply)).scalar_one()
    assert count == len(quick_replies.DEFAULTS["zh"])  # not once per visit
