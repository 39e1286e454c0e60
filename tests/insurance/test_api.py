"""The insurance API and admin page through HTTP: patients' vouchers and presettle, admins' ledger views."""

from __future__ import annotations

import pytest

from core import accounts, crypto
from core.errors import NotFound
from insurance.claims import Claim, set_claim_builder
from insurance.gateway import get_gateway
from tests.insurance.conftest import LINES

API = "/api/insurance"


def certno_of(login: dict) -> str:
    return crypto.decrypt(accounts.get_by_id(login["user"]["id"]).id_number_enc)


def insure(login: dict, **extra) -> str:
    """Enrol a registered patient with the mock insurer (an employee with 1 000 yuan)."""
    data = {
        "certno": certno_of(login),
        "psn_name": login["user"]["name"],
        "insutype": "310",
        "balc": "1000.00",
        "reset": True,
        "ytd": {"11": {"deductible_used": "800.00"}},
        **extra,
    }
    return get_gateway().enroll(data)


@pytest.fixture
def patient(ins_app, users):
    login = users.patient()
    insure(login)
    return login


@pytest.fixture
def builder(ins_app):
    """A claim builder as the pharmacy registers one: the patient's own prescription 7 only."""

    def build(prescription_id: int, user) -> Claim:
        if prescription_id != 7 or user.role != "patient":
            raise NotFound("prescription_not_found", "Not found, or not yours to see.")
        return Claim(med_org_ord=f"PRE{prescription_id}", lines=LINES, patient_id=user.id, prescription_id=7)

    set_claim_builder(build)


def voucher(client, login) -> str:
    response = client.post(f"{API}/vouchers", headers=login["headers"], json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_a_patient_gets_and_verifies_his_own_voucher(client, patient):
    token = voucher(client, patient)
    response = client.post(f"{API}/vouchers/verify", headers=patient["headers"], json={"token": token})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["insutype"] == "310" and body["balance_fen"] == 100_000
    assert "*" in body["certno_masked"] and certno_of(patient) not in response.get_data(as_text=True)


def test_someone_elses_voucher_is_refused(client, users, patient):
    other = users.patient(name="另一患者")
    insure(other)
    response = client.post(f"{API}/vouchers/verify", headers=patient["headers"], json={"token": voucher(client, other)})
    assert response.status_code == 403 and response.get_json()["reason"] == "voucher_not_yours"


def test_a_forged_voucher_is_a_422_naming_the_token(client, patient):
    response = client.post(f"{API}/vouchers/verify", headers=patient["headers"], json={"token": "ec1.abc.def"})
    body = response.get_json()
    assert response.status_code == 422 and body["reason"] == "voucher_forged" and "token" in body["errors"]["json"]


def test_an_uninsured_patient_gets_no_voucher(client, users, ins_app):
    """Everyone is insured unless the fault says he is not (see test_residents)."""
    login = users.patient()
    get_gateway().faults({"uninsured": [certno_of(login)]})
    response = client.post(f"{API}/vouchers", headers=login["headers"], json={})
    assert response.status_code == 404 and response.get_json()["reason"] == "not_insured"


def test_presettle_shows_the_split_per_line_and_charges_nothing(client, patient, builder):
    token = voucher(client, patient)
    response = client.post(f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 7, "token": token})
    assert response.status_code == 200, response.get_json()
    split = response.get_json()
    # A 60 + B 50 + C 30 yuan, deductible met, 70 %: fund 73.50, account 66.50 (see test_settlement).
    assert (split["medfee_sumamt"], split["fund_pay_sumamt"], split["acct_pay"], split["psn_cash_pay"]) == (
        14_000,
        7_350,
        6_650,
        0,
    )
    assert [line["drug_class"] for line in split["lines"]] == ["01", "02", "03"]
    assert split["lines"][1]["preselfpay_amt"] == 500
    again = client.post(f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 7, "token": token})
    assert again.status_code == 200  # nothing was spent: the voucher still works


def test_presettle_without_a_voucher_is_self_pay(client, patient, builder):
    response = client.post(f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 7})
    split = response.get_json()
    assert response.status_code == 200 and split["setl_type"] == "CASH" and split["psn_cash_pay"] == 14_000


def test_presettle_of_someone_elses_prescription_is_404(client, patient, builder):
    response = client.post(f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 8})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/vouchers", {}),
        ("post", "/vouchers/verify", {"token": "x"}),
        ("post", "/presettle", {"prescription_id": 7}),
        ("get", "/reconciliation", None),
        ("get", "/settlements", None),
        ("post", "/resolve", None),
        ("get", "/mock/faults", None),
        ("post", "/mock/faults", {"fail": True}),
    ],
)
def test_anonymous_callers_get_401(client, ins_app, method, path, body):
    response = getattr(client, method)(API + path, json=body)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("doctor", "post", "/vouchers", {}),
        ("pharmacist", "post", "/vouchers/verify", {"token": "x"}),
        ("admin", "post", "/presettle", {"prescription_id": 7}),
        ("patient", "get", "/reconciliation", None),
        ("doctor", "get", "/settlements", None),
        ("patient", "post", "/resolve", None),
        ("patient", "post", "/mock/faults", {"fail": True}),
        ("dispatcher", "get", "/mock/faults", None),
    ],
)
def test_other_roles_are_refused(client, users, ins_app, role, method, path, body):
    login = users.patient() if role == "patient" else users.staff(role)
    response = getattr(client, method)(API + path, json=body, headers=login["headers"])
    assert response.status_code == 403 and response.get_json()["reason"] == "role_refused"


def test_admin_sees_settlements_and_a_balanced_reconciliation(client, users, patient, builder):
    from insurance import settlement

    settlement.settle(
        Claim(med_org_ord="API-1", lines=LINES, voucher_token=voucher(client, patient), certno=certno_of(patient))
    )
    admin = users.staff("admin")
    listed = client.get(f"{API}/settlements", headers=admin["headers"]).get_json()
    assert [(s["med_org_ord"], s["status"], s["fund_pay_sumamt"]) for s in listed] == [("API-1", "settled", 7_350)]
    response = client.get(f"{API}/reconciliation", headers=admin["headers"])
    body = response.get_json()
    assert response.status_code == 200 and body["balanced"] is True and body["differences"] == []
    assert body["ours"] == body["theirs"] and body["ours"]["count"] == 1
    assert client.get(f"{API}/reconciliation?date=2026-13-40", headers=admin["headers"]).status_code == 422


def test_admin_sets_the_mock_insurers_faults(client, users, patient):
    admin = users.staff("admin")
    response = client.post(f"{API}/mock/faults", headers=admin["headers"], json={"fail": True, "replace": True})
    assert response.status_code == 200 and response.get_json()["fail"] is True
    refused = client.post(f"{API}/vouchers/verify", headers=patient["headers"], json={"token": "ec1.a.b"})
    assert refused.status_code == 503 and refused.get_json()["reason"] == "insurer_unavailable"
    cleared = client.post(f"{API}/mock/faults", headers=admin["headers"], json={"replace": True}).get_json()
    assert cleared["fail"] is False
    assert client.get(f"{API}/mock/faults", headers=admin["headers"]).get_json() == cleared


def test_admin_page_shows_the_day_in_chinese_and_english(client, users, patient):
    from insurance import settlement

    settlement.settle(Claim(med_org_ord="PAGE-1", lines=LINES))
    admin = users.staff("admin")
    page = client.get("/admin/insurance", headers=admin["headers"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "与医保中心对账" in text and "PAGE-1" in text and "对账平" in text
    client.set_cookie("lang", "en")
    admin_en = users.login(admin["user"]["username"], "Passw0rd!x")
    accounts.set_preferences(accounts.get_by_id(admin_en["user"]["id"]), locale="en")
    text = client.get("/admin/insurance", headers=admin_en["headers"]).get_data(as_text=True)
    assert "Reconciliation with the insurer" in text and "Balanced" in text


def test_admin_page_refuses_a_patient(client, patient):
    assert client.get("/admin/insurance", headers=patient["headers"]).status_code == 403
