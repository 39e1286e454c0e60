"""Pages: registration with errors in words, login and out, role checks, masking, headers,
the OpenAPI document, the audit log and the migrations."""

import re

import pytest

from core.extensions import db
from core.models import AuditEntry
from tests.conftest import GOOD_PASSWORD, csrf_of, page_login, valid_id


def page_register(client, **overrides):
    token = csrf_of(client.get("/register").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "李秀兰",
        "id_number": valid_id("19481102", "022"),
        "phone": "13700000001",
        "password": GOOD_PASSWORD,
        **overrides,
    }
    return client.post("/register", data=form)


def test_register_through_the_page_logs_in_and_shows_home(client):
    response = page_register(client)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "李秀兰，您好" in home and "续方开药" in home


def test_page_shows_the_error_next_to_the_field_in_words(client):
    number = valid_id("19481102", "022")
    response = page_register(client, id_number=number[:17] + ("1" if number[17] == "0" else "0"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "身份证号校验位不正确" in html and 'aria-invalid="true"' in html and "错误" in html
    assert 'value="李秀兰"' in html  # nothing typed is lost


def test_forms_need_the_csrf_token(client, users):
    response = client.post("/register", data={"name": "李秀兰"})
    assert response.status_code == 400
    users.patient(phone="13700000003")
    page_login(client, "13700000003", GOOD_PASSWORD)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400  # a wrong token as none
    assert client.post("/logout").status_code == 400
    assert "退出登录" in client.get("/").get_data(as_text=True)  # still logged in: nothing was done


def test_page_login_and_logout(client, users):
    users.patient(phone="13700000002")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    assert (
        client.post(
            "/login", data={"csrf_token": token, "username": "13700000002", "password": GOOD_PASSWORD}
        ).status_code
        == 302
    )
    assert "退出登录" in client.get("/").get_data(as_text=True)
    token = csrf_of(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert "退出登录" not in client.get("/").get_data(as_text=True)


def test_masked_id_in_api_answers_and_pages(client, users):
    patient = users.patient(phone="13700000003", born="19700101")
    body = client.get("/api/me", headers=patient["headers"]).get_data(as_text=True)
    assert re.search(r"3501\*{10}\w{4}", body) and "350102197001" not in body


STAFF_ENDPOINTS = [
    ("get", "/api/staff", None),
    ("post", "/api/staff", {"username": "ph9", "role": "pharmacist", "name": "药师甲", "password": GOOD_PASSWORD}),
    ("post", "/api/hospitals", {"code": "H99", "name_zh": "测试医院", "name_en": "Test Hospital"}),
    ("patch", "/api/hospitals/1", {"city": "厦门"}),
    ("post", "/api/departments", {"hospital_id": 1, "code": "X", "name_zh": "测试科", "name_en": "Test"}),
    (
        "post",
        "/api/doctors",
        {
            "username": "dr9",
            "name": "医生甲",
            "password": GOOD_PASSWORD,
            "hospital_id": 1,
            "department_id": 1,
            "title": "chief",
            "practice_since": "2010-01-01",
        },
    ),
    ("patch", "/api/doctors/1", {"title": "attending"}),
    ("get", "/api/audit", None),
]


@pytest.mark.parametrize("method,path,body", STAFF_ENDPOINTS)
def test_staff_endpoints_refuse_anonymous_and_other_roles(demo_client, demo_users, method, path, body):
    assert getattr(demo_client, method)(path, json=body).status_code == 401
    for role in ("patient", "doctor", "pharmacist", "dispatcher"):
        who = demo_users.patient() if role == "patient" else demo_users.staff(role)
        response = getattr(demo_client, method)(path, json=body, headers=who["headers"])
        assert response.status_code == 403, (role, response.get_json())
        assert response.get_json()["reason"] == "role_refused"
    admin = demo_users.login("admin", "Demo@2026")
    assert getattr(demo_client, method)(path, json=body, headers=admin["headers"]).status_code in (200, 201)


def test_admin_pages_refuse_other_roles(demo_client, demo_users):
    patient = demo_users.patient(phone="13700000004")
    token = csrf_of(demo_client.get("/login").get_data(as_text=True))
    demo_client.post(
        "/login", data={"csrf_token": token, "username": patient["user"]["username"], "password": GOOD_PASSWORD}
    )
    for path in ("/admin/staff", "/admin/hospitals", "/admin/doctors", "/admin/audit"):
        assert demo_client.get(path).status_code == 403


def test_admin_creates_a_doctor_and_the_network_lists_it(demo_client, demo_users):
    admin = demo_users.login("admin", "Demo@2026")
    hospitals = demo_client.get("/api/hospitals").get_json()
    assert len(hospitals) == 91 and sum(h["level"] == "provincial" for h in hospitals) == 1
    departments = demo_client.get(f"/api/departments?hospital_id={hospitals[0]['id']}").get_json()
    assert len(departments) == 25
    body = {
        "username": "dr.new",
        "name": "新医生",
        "password": GOOD_PASSWORD,
        "hospital_id": hospitals[0]["id"],
        "department_id": departments[0]["id"],
        "title": "attending",
        "practice_since": "2015-07-01",
    }
    created = demo_client.post("/api/doctors", json=body, headers=admin["headers"])
    assert created.status_code == 201
    doctors = demo_client.get(f"/api/doctors?department={departments[0]['id']}").get_json()
    assert "新医生" in [d["name"] for d in doctors]
    wrong = demo_client.post(
        "/api/doctors", json={**body, "username": "dr.x", "department_id": 999999}, headers=admin["headers"]
    )
    assert wrong.status_code == 404 and "department_id" in wrong.get_json()["errors"]["json"]


def test_a_hospital_code_taken_twice_is_a_409_naming_the_code(demo_client, demo_users):
    admin = demo_users.login("admin", "Demo@2026")
    body = {"code": "H98", "name_zh": "重复医院", "name_en": "Twice Hospital"}
    assert demo_client.post("/api/hospitals", json=body, headers=admin["headers"]).status_code == 201
    again = demo_client.post("/api/hospitals", json=body, headers=admin["headers"])
    assert again.status_code == 409 and again.get_json()["reason"] == "duplicate_code"
    assert "code" in again.get_json()["errors"]["json"]
    names = [h["name_zh"] for h in demo_client.get("/api/hospitals").get_json()]
    assert names.count("重复医院") == 1  # the refused one left nothing behind


def test_demo_network_has_the_seed_shape(demo_client):
    assert len(demo_client.get("/api/doctors?hospital=1").get_json()) >= 31


def test_registration_is_audited(client):
    page_register(client)
    entry = db.session.execute(db.select(AuditEntry)).scalars().first()
    assert entry.action == "create" and entry.object_type == "patient" and entry.patient_id == entry.actor_id


def test_security_headers_and_cookie_flags(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.application.config["SESSION_COOKIE_HTTPONLY"] is True


def test_openapi_document_is_valid_and_lists_the_contract(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").get_json()
    validate(spec)
    for path in (
        "/api/auth/register",
        "/api/auth/login",
        "/api/me",
        "/api/hospitals",
        "/api/departments",
        "/api/doctors",
    ):
        assert path in spec["paths"], path
    docs = client.get("/api/docs").get_data(as_text=True)
    assert (
        "vendor/swagger-ui/swagger-ui-bundle.js" in docs
        and "http" not in docs.split("<body>")[1].split("swagger-ui")[0]
    )


def test_unknown_api_path_is_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.get_json()["code"] == 404


def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == [], "run `make migrations`: the models changed since the migration was generated"
