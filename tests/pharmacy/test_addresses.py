"""The address book: saved once with a default, every wrong field named at once in words, nothing
half-written, and another patient's address is a 404 (API and pages)."""

from __future__ import annotations

from core.extensions import db
from pharmacy.models import SavedAddress
from tests.conftest import csrf_of, page_login
from tests.pharmacy.conftest import ADDRESS

API = "/api/addresses"


def _count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(SavedAddress))


def test_the_first_address_becomes_the_default_and_one_tap_changes_it(client, users):
    patient = users.patient()
    first = client.post(API, json=ADDRESS, headers=patient["headers"])
    assert first.status_code == 201 and first.get_json()["is_default"] is True
    second = client.post(API, json={**ADDRESS, "detail": "五四路88号2栋101"}, headers=patient["headers"]).get_json()
    assert second["is_default"] is False
    made = client.post(f"{API}/{second['id']}/default", headers=patient["headers"])
    assert made.status_code == 200 and made.get_json()["is_default"] is True
    listed = client.get(API, headers=patient["headers"]).get_json()
    assert [a["id"] for a in listed] == [second["id"], first.get_json()["id"]]  # the default first
    assert sum(a["is_default"] for a in listed) == 1


def test_every_wrong_field_is_named_at_once_in_words_and_nothing_is_saved(client, users):
    patient = users.patient()
    bad = {"recipient": "", "mobile": "2380000000", "province": "", "city": "福州市", "district": "", "detail": "1号"}
    response = client.post(API, json=bad, headers=patient["headers"])
    body = response.get_json()
    assert response.status_code == 422 and body["reason"] == "invalid_address"
    assert set(body["errors"]["json"]) == {"recipient", "mobile", "province", "district", "detail"}
    assert "11 位手机号码" in body["errors"]["json"]["mobile"][0] and "门牌号" in body["errors"]["json"]["detail"][0]
    assert _count() == 0
    chinese = client.post(API, json={}, headers={**patient["headers"], "Accept-Language": "zh"}).get_json()
    assert set(chinese["errors"]["json"]) == {"recipient", "mobile", "province", "city", "district", "detail"}


def test_another_patients_address_is_not_found(client, users):
    owner, other = users.patient(), users.patient(name="另一患者")
    address = client.post(API, json=ADDRESS, headers=owner["headers"]).get_json()
    assert client.get(API, headers=other["headers"]).get_json() == []
    for method, path in (("post", f"{API}/{address['id']}/default"), ("delete", f"{API}/{address['id']}")):
        response = getattr(client, method)(path, headers=other["headers"])
        assert response.status_code == 404 and response.get_json()["reason"] == "address_not_found"
    assert client.get(API, headers=owner["headers"]).get_json()[0]["is_default"] is True


def test_staff_have_no_address_book(client, users):
    doctor = users.staff("doctor")
    assert client.get(API, headers=doctor["headers"]).status_code == 403


def test_removing_the_default_makes_the_next_one_default(client, users):
    patient = users.patient()
    first = client.post(API, json=ADDRESS, headers=patient["headers"]).get_json()
    second = client.post(API, json={**ADDRESS, "detail": "五四路88号2栋101"}, headers=patient["headers"]).get_json()
    assert client.delete(f"{API}/{first['id']}", headers=patient["headers"]).status_code == 204
    assert client.get(API, headers=patient["headers"]).get_json() == [{**second, "is_default": True}]


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/addresses", "/api/addresses/{address_id}", "/api/addresses/{address_id}/default"} <= set(paths)


def test_the_page_shows_every_problem_next_to_its_field_and_keeps_what_was_typed(client, users):
    patient = users.patient(phone="13912345678")
    page_login(client, "13912345678", "Passw0rd!x")
    token = csrf_of(client.get("/addresses").get_data(as_text=True))
    form = {"csrf_token": token, "recipient": "王", "mobile": "12345", "province": "福建省", "city": "福州市"}
    response = client.post("/addresses", data={**form, "district": "", "detail": "东街"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "下面标出的 4 项需要修改" in html
    for text in ("请填写收货人姓名", "11 位手机号码", "请填写区或县", "门牌号"):
        assert text in html
    assert html.count('aria-invalid="true"') == 4 and 'value="福建省"' in html and _count() == 0
    ok = client.post("/addresses", data={**form, **ADDRESS, "csrf_token": token, "next": "/orders"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/orders") and _count() == 1
    assert patient["user"]["id"] == db.session.scalar(db.select(SavedAddress.patient_id))


def test_the_page_never_sends_the_patient_to_another_site(client, users):
    users.patient(phone="13912345679")
    page_login(client, "13912345679", "Passw0rd!x")
    token = csrf_of(client.get("/addresses").get_data(as_text=True))
    response = client.post("/addresses", data={"csrf_token": token, **ADDRESS, "next": "//evil.example/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/addresses")


def test_another_patients_address_page_actions_are_not_found(client, users):
    owner = users.patient(phone="13912345670")
    address = client.post(API, json=ADDRESS, headers=owner["headers"]).get_json()
    users.patient(phone="13912345671")
    page_login(client, "13912345671", "Passw0rd!x")
    token = csrf_of(client.get("/addresses").get_data(as_text=True))
    for action in ("default", "delete"):
        assert client.post(f"/addresses/{address['id']}/{action}", data={"csrf_token": token}).status_code == 404


def test_the_english_page_has_no_chinese_prefilled(client, users):
    users.patient(phone="13912345672", name="Li")
    page_login(client, "13912345672", "Passw0rd!x")
    client.set_cookie("lang", "en")
    english = client.get("/addresses").get_data(as_text=True)
    assert "Add an address" in english and "福建省" not in english and "福州市" not in english
    client.set_cookie("lang", "zh")
    assert 'value="福建省"' in client.get("/addresses").get_data(as_text=True)
