"""Registration, login, tokens, masking, roles and the error shape, through the API."""

from werkzeug.security import generate_password_hash

from core.config import Config, TestConfig
from core.extensions import db
from core.models import User
from tests.conftest import GOOD_PASSWORD, valid_id


def register(client, **overrides):
    body = {
        "name": "王建国",
        "id_number": valid_id("19520314", "011"),
        "phone": "13912345678",
        "password": GOOD_PASSWORD,
    }
    return client.post("/api/auth/register", json={**body, **overrides})


def test_register_derives_birth_and_sex_and_masks_the_id(client):
    response = register(client)
    assert response.status_code == 201
    body = response.get_json()
    assert body["birth_date"] == "1952-03-14" and body["sex"] == "M"
    assert body["id_number"] == "3501**********011" + valid_id("19520314", "011")[-1]
    assert valid_id("19520314", "011") not in response.get_data(as_text=True)


def test_id_number_is_stored_encrypted_and_found_by_keyed_hash(client, app):
    register(client)
    user = db.session.execute(db.select(User)).scalar_one()
    number = valid_id("19520314", "011")
    assert number not in user.id_number_enc and number not in user.id_number_hash
    from core import crypto

    assert crypto.decrypt(user.id_number_enc) == number
    assert user.id_number_hash == crypto.keyed_hash(number)


def test_wrong_check_digit_names_the_field(client):
    number = valid_id("19520314", "011")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = register(client, id_number=wrong)
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "id_check_digit"
    assert "id_number" in body["errors"]["json"]
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"


def test_impossible_birth_date_is_refused(client):
    from core.resident_id import check_digit

    first17 = "35010219520230011"  # 30 February
    response = register(client, id_number=first17 + check_digit(first17))
    assert response.status_code == 422 and response.get_json()["reason"] == "id_birth_date"


def test_duplicate_id_and_phone_are_refused(client):
    assert register(client).status_code == 201
    same_id = register(client, phone="13912345679")
    assert same_id.status_code == 409 and same_id.get_json()["errors"]["json"].keys() == {"id_number"}
    same_phone = register(client, id_number=valid_id("19520314", "013"))
    assert same_phone.status_code == 409 and "phone" in same_phone.get_json()["errors"]["json"]


def test_weak_password_and_bad_phone_are_refused(client):
    weak = register(client, password="12345678")
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]["json"]
    phone = register(client, phone="12345")
    assert phone.status_code == 422 and "phone" in phone.get_json()["errors"]["json"]


def test_missing_field_is_a_422_naming_it(client):
    response = client.post("/api/auth/register", json={"name": "王建国"})
    assert response.status_code == 422
    body = response.get_json()
    assert set(body["errors"]["json"]) == {"id_number", "phone", "password"}
    assert "id_number" in body["message"]


def test_login_me_logout(client):
    register(client)
    response = client.post("/api/auth/login", json={"username": "13912345678", "password": GOOD_PASSWORD})
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.get_json()['token']}"}
    me = client.get("/api/me", headers=headers).get_json()
    assert me["name"] == "王建国" and me["role"] == "patient" and "*" in me["id_number"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_wrong_password_is_401_without_saying_which_part(client):
    register(client)
    response = client.post("/api/auth/login", json={"username": "13912345678", "password": "nope-nope1"})
    assert response.status_code == 401 and response.get_json()["reason"] == "bad_credentials"


def test_login_is_rate_limited(client):
    register(client)
    codes = [
        client.post("/api/auth/login", json={"username": "13912345678", "password": "wrong-pass1"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_preferences_are_remembered(client, users):
    patient = users.patient()
    response = client.patch("/api/me", json={"locale": "en", "elder_mode": True}, headers=patient["headers"])
    assert response.get_json()["locale"] == "en" and response.get_json()["elder_mode"] is True
    bad = client.patch("/api/me", json={"locale": "fr"}, headers=patient["headers"])
    assert bad.status_code == 422 and "locale" in bad.get_json()["errors"]["json"]


def test_error_messages_follow_the_language(client, users):
    patient = users.patient()
    client.patch("/api/me", json={"locale": "zh"}, headers=patient["headers"])
    response = client.patch("/api/me", json={"locale": "fr"}, headers=patient["headers"])
    assert response.get_json()["message"] != "Unknown language."


def test_cookie_session_api_writes_need_csrf(client, users):
    users.patient(phone="13900000999")
    client.post("/login", data={"username": "13900000999", "password": GOOD_PASSWORD})
    # The page form needs its CSRF token too: without it the login form is refused.
    assert client.patch("/api/me", json={"elder_mode": True}).status_code in (401, 403)


def test_passwords_are_scrypt_at_the_configured_cost_and_any_cost_still_logs_in(app, client, users):
    assert Config.PASSWORD_HASH_METHOD == "scrypt"  # werkzeug's own cost in production
    users.patient(phone="13900000998")
    user = db.session.execute(db.select(User).filter_by(username="13900000998")).scalar_one()
    assert user.password_hash.startswith(TestConfig.PASSWORD_HASH_METHOD + "$")
    user.password_hash = generate_password_hash(GOOD_PASSWORD, method="scrypt")  # made at production cost
    db.session.commit()
    assert user.password_hash.startswith("scrypt:32768:8:1$")
    good = client.post("/api/auth/login", json={"username": "13900000998", "password": GOOD_PASSWORD})
    wrong = client.post("/api/auth/login", json={"username": "13900000998", "password": GOOD_PASSWORD + "x"})
    assert good.status_code == 200 and wrong.status_code == 401
