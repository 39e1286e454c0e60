"""Every resident is insured: the mock derives a stable insurance record from the resident ID, so a
newly registered patient pays with the e-voucher, and the fund's share shows once his deductible is
met. Being uninsured is a fault a test switches on."""

from __future__ import annotations

from datetime import date

import pytest

from core import clock
from insurance.gateway import get_gateway
from insurance.mock_insurer import residents
from insurance.mock_insurer.policy import POLICY
from tests.conftest import GOOD_PASSWORD, valid_id
from tests.insurance.conftest import LINES
from tests.insurance.test_api import builder  # noqa: F401  (the claim builder fixture)

API = "/api/insurance"
TODAY = date(2026, 12, 1)


def ids(born: str = "19600101"):
    return (valid_id(born, f"{serial:03d}") for serial in range(1, 1000))


def test_the_same_id_always_gives_the_same_insurance():
    certno = valid_id("19600101", "123")
    assert residents.derive(certno, POLICY, TODAY) == residents.derive(certno.lower(), POLICY, TODAY)


def test_region_comes_from_the_first_six_digits_and_sex_from_the_17th():
    derived = residents.derive("11010519491231002X", POLICY, TODAY)
    assert derived.insuplc_admdvs == "110105" and derived.gend == "2" and derived.brdy == date(1949, 12, 31)


def test_children_are_residents_without_a_personal_account():
    for certno in list(ids("20150601"))[:50]:
        derived = residents.derive(certno, POLICY, TODAY)
        assert derived.insutype == residents.RESIDENT and derived.balc == 0


def test_adults_show_both_schemes_and_every_stage_of_the_year():
    derived = [residents.derive(c, POLICY, TODAY) for c in ids("19700101")]
    assert {d.insutype for d in derived} == {residents.EMPLOYEE, residents.RESIDENT}
    assert {d.year_stage for d in derived} == set(residents.YEAR_STAGES)
    employees = [d for d in derived if d.insutype == residents.EMPLOYEE]
    assert all(30_000 <= d.balc <= 300_000 for d in employees)
    met = next(d for d in derived if d.deductible_met and d.insutype == residents.EMPLOYEE)
    assert met.deductible_used == {"11": 80_000, "14": 20_000}  # the employee scheme's deductibles, whole


@pytest.mark.parametrize("bad", ["", "12345", "35010219601301123X", "3501021960010112AB", "350102299901011234"])
def test_what_is_not_a_resident_id_is_not_insured(bad):
    assert residents.derive(bad, POLICY, TODAY) is None


def register(client, stage: str, scheme: str = residents.EMPLOYEE, phone: str = "13912340000", nth: int = 0) -> dict:
    """A newly registered patient (never enrolled) whose ID derives to this stage and scheme."""
    matching = (
        c
        for c in ids("19650301")
        if (d := residents.derive(c, POLICY, clock.today())).year_stage == stage and d.insutype == scheme
    )
    certno = [next(matching) for _ in range(nth + 1)][-1]
    body = {"name": "新患者", "id_number": certno, "phone": phone, "password": GOOD_PASSWORD}
    assert client.post("/api/auth/register", json=body).status_code == 201
    login = client.post("/api/auth/login", json={"username": phone, "password": GOOD_PASSWORD}).get_json()
    return {"certno": certno, "headers": {"Authorization": f"Bearer {login['token']}"}}


def voucher(client, patient) -> str:
    response = client.post(f"{API}/vouchers", headers=patient["headers"], json={})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_a_new_patient_is_insured_as_his_id_says(client, ins_app):
    patient = register(client, "met")
    expected = residents.derive(patient["certno"], POLICY, clock.today())
    response = client.post(
        f"{API}/vouchers/verify", headers=patient["headers"], json={"token": voucher(client, patient)}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["insutype"], body["balance_fen"], body["name"]) == (expected.insutype, expected.balc, "新患者")
    assert body["certno_masked"].startswith(patient["certno"][:4]) and patient["certno"] not in str(body)


def test_the_fund_pays_its_share_once_the_deductible_is_met(client, ins_app, builder):  # noqa: F811
    patient = register(client, "met")
    response = client.post(
        f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 7, "token": voucher(client, patient)}
    )
    split = response.get_json()
    assert response.status_code == 200, split
    # A 60 + B 50 (5 self-paid first) + C 30 yuan: 105 yuan in the base at 70 % = 73.50 from the fund.
    assert split["medfee_sumamt"] == sum(line.total_fen for line in LINES) and split["fund_pay_sumamt"] == 7_350


def test_below_the_deductible_the_fund_pays_nothing_yet(client, ins_app, builder):  # noqa: F811
    patient = register(client, "none")
    response = client.post(
        f"{API}/presettle", headers=patient["headers"], json={"prescription_id": 7, "token": voucher(client, patient)}
    )
    split = response.get_json()
    assert response.status_code == 200, split
    assert split["fund_pay_sumamt"] == 0 and split["act_pay_dedc"] == 10_500
    assert split["acct_pay"] + split["psn_cash_pay"] == split["medfee_sumamt"]


def test_uninsured_is_a_fault_a_test_can_switch_on(client, ins_app):
    patient = register(client, "met")
    get_gateway().faults({"uninsured": ["*"]})
    response = client.post(f"{API}/vouchers", headers=patient["headers"], json={})
    body = response.get_json()
    assert response.status_code == 404 and body["reason"] == "not_insured" and body["message"]
    get_gateway().faults({"uninsured": []})
    assert client.post(f"{API}/vouchers", headers=patient["headers"], json={}).status_code == 201


def test_an_administrator_can_make_a_resident_uninsured_through_the_api(client, users, ins_app):
    patient = register(client, "none")
    admin = users.staff("admin")
    faults = client.post(f"{API}/mock/faults", headers=admin["headers"], json={"uninsured": [patient["certno"]]})
    assert faults.status_code == 200 and faults.get_json()["uninsured"] == [patient["certno"]]
    refused = client.post(f"{API}/vouchers", headers=patient["headers"], json={})
    assert refused.status_code == 404 and refused.get_json()["reason"] == "not_insured"
    bad = client.post(f"{API}/mock/faults", headers=admin["headers"], json={"uninsured": ["x" * 19]})
    assert bad.status_code == 422 and "uninsured" in bad.get_json()["errors"]["json"]
