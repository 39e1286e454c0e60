"""Authorising an e-voucher payment on the insurer's own page: the patient sees who he is and the
amount, confirms, and goes back with a token; forged, expired, declined and someone else's
authorisations end in a sentence, not a token. The page is the insurer's: the mock's own server
serves it too."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from core import accounts, clock
from core.extensions import db
from insurance import vouchers
from insurance.envelope import request as envelope
from insurance.mock_insurer.models import MI_TABLES
from insurance.mock_insurer.server import create_app as insurer_app
from tests.insurance.test_residents import register

RETURN = "/orders/new?prescription=7"


def start(client, ins_app, patient, amount_fen=12_345, lang="zh") -> str:
    """The hospital's side: the address of the insurer's page for this patient and amount."""
    with ins_app.test_request_context():
        user = accounts.get_by_id(_user_id(client, patient))
        return vouchers.authorisation_url_for(user, amount_fen, RETURN, state="s1", lang=lang)


def _user_id(client, patient) -> int:
    return client.get("/api/me", headers=patient["headers"]).get_json()["id"]


def req_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["req"][0]


def test_the_patient_sees_who_he_is_and_the_amount_then_goes_back_with_a_token(client, ins_app):
    patient = register(client, "met")
    url = start(client, ins_app, patient)
    assert url.startswith("/mock-insurer/authorize?req=")
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "新患者" in html and "¥123.45" in html and "确认授权" in html
    assert patient["certno"][:4] + "**" in html and patient["certno"] not in html
    assert "<svg" in html  # the QR a phone could scan in the demo
    confirmed = client.post(url, data={"req": req_of(url), "decision": "confirm"})
    assert confirmed.status_code == 303
    back = urlsplit(confirmed.headers["Location"])
    params = parse_qs(back.query)
    assert back.path == "/orders/new" and params["prescription"] == ["7"] and params["state"] == ["s1"]
    verified = client.post(
        "/api/insurance/vouchers/verify", headers=patient["headers"], json={"token": params["ec_token"][0]}
    )
    assert verified.status_code == 200 and verified.get_json()["name"] == "新患者"


def test_the_page_speaks_the_language_the_hospital_asked_for(client, ins_app):
    patient = register(client, "met")
    html = client.get(start(client, ins_app, patient, lang="en")).get_data(as_text=True)
    assert "Authorise" in html and "确认授权" not in html and 'lang="en"' in html


def test_a_changed_request_is_refused_in_words(client, ins_app):
    patient = register(client, "met")
    url = start(client, ins_app, patient)
    forged = re.sub(r"req=pt1\.([A-Za-z0-9_-])", lambda m: "req=pt1." + ("A" if m.group(1) != "A" else "B"), url)
    page = client.get(forged)
    assert page.status_code == 400 and "授权请求无效" in page.get_data(as_text=True)
    posted = client.post(forged, data={"req": req_of(forged), "decision": "confirm"})
    assert posted.status_code == 400 and "ec_token" not in posted.headers.get("Location", "")


def test_an_expired_request_says_so_and_offers_the_way_back(client, ins_app):
    patient = register(client, "met")
    url = start(client, ins_app, patient)
    with clock.frozen(clock.now() + timedelta(hours=1)):
        page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "已过期" in html and f'href="{RETURN}"' in html.replace("&amp;", "&")


def test_declining_goes_back_without_a_token(client, ins_app):
    patient = register(client, "met")
    url = start(client, ins_app, patient)
    declined = client.post(url, data={"req": req_of(url), "decision": "cancel"})
    params = parse_qs(urlsplit(declined.headers["Location"]).query)
    assert declined.status_code == 303 and params["insurer_error"] == ["cancelled"] and "ec_token" not in params


def test_a_token_authorised_by_another_patient_is_refused(client, ins_app):
    patient, other = register(client, "met"), register(client, "met", phone="13912340001", nth=1)
    url = start(client, ins_app, other)
    back = client.post(url, data={"req": req_of(url), "decision": "confirm"}).headers["Location"]
    token = parse_qs(urlsplit(back).query)["ec_token"][0]
    response = client.post("/api/insurance/vouchers/verify", headers=patient["headers"], json={"token": token})
    body = response.get_json()
    assert response.status_code == 403 and body["reason"] == "voucher_not_yours" and body["message"]


def test_the_insurers_own_server_serves_the_page(tmp_path, ins_app):
    """The HTTP mock (the insurer as its own process) answers M005 and serves the same page."""
    app = insurer_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mi.db'}"})
    insurer = app.extensions["mock_insurer"]
    with app.app_context():
        message = envelope(
            "M005",
            f"H35010000001{clock.local_now():%Y%m%d%H%M%S}0001",
            {"data": {"certno": "11010519491231002X", "psn_name": "李奶奶", "amount": "45.60", "return_url": RETURN}},
            {"fixmedins_code": "H35010000001", "fixmedins_name": "互联网医院", "mdtrtarea_admvs": "350100"},
            clock.local_now(),
        )
        answer = insurer.handle(message)
    assert answer["infcode"] == 0, answer
    path = answer["output"]["authorize_path"]
    client = app.test_client()
    html = client.get(path).get_data(as_text=True)
    assert "李奶奶" in html and "¥45.60" in html and "1101" in html
    confirmed = client.post(path, data={"req": req_of(path), "decision": "confirm"})
    assert confirmed.status_code == 303 and "ec_token=ec1." in confirmed.headers["Location"]
    with app.app_context():
        db.metadata.drop_all(db.engine, tables=MI_TABLES)
