"""`flask insurance …` commands and the demo seed."""

from __future__ import annotations

import pytest

from insurance import settlement
from insurance.claims import Claim
from insurance.errors import SettlementUnknown
from insurance.gateway import get_gateway, in_process_insurer
from insurance.seed import seed_demo
from tests.conftest import valid_id
from tests.insurance.conftest import LINES


def test_resolve_unknown_command_settles_what_was_charged(ins_app, insured):
    person = insured.person()
    get_gateway().faults({"timeout_after_charge": True})
    with pytest.raises(SettlementUnknown):
        settlement.settle(insured.claim(person, "CLI-1"))
    get_gateway().faults({}, replace=True)
    result = ins_app.test_cli_runner().invoke(args=["insurance", "resolve-unknown", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "CLI-1" in result.output and "unknown -> settled" in result.output
    assert settlement.settlement_for("CLI-1").status == "settled" and len(insured.charges("CLI-1")) == 1


def test_reconcile_and_faults_commands(ins_app, insured):
    settlement.settle(insured.claim(insured.person(), "CLI-2"))
    runner = ins_app.test_cli_runner()
    result = runner.invoke(args=["insurance", "reconcile"])
    assert result.exit_code == 0 and "balanced" in result.output
    result = runner.invoke(args=["insurance", "faults", '{"delay_ms": 5}'])
    assert result.exit_code == 0 and '"delay_ms": 5' in result.output
    assert runner.invoke(args=["insurance", "faults", "--replace"]).output.count('"delay_ms": 0') == 1


def test_seed_insures_the_demo_patients_once(ins_app):
    patients = [
        {"name": "王建国", "id_number": valid_id("19520314", "011"), "phone": "13800000001"},
        {"name": "周小宇", "id_number": valid_id("20220509", "051"), "phone": "13800000005"},
    ]
    seed_demo(patients)
    adult = get_gateway().verify_voucher(get_gateway().issue_voucher(patients[0]["id_number"]).token)
    child = get_gateway().verify_voucher(get_gateway().issue_voucher(patients[1]["id_number"]).token)
    assert (adult.insutype, adult.balance_fen, adult.chronic_eligible("I10")) == ("310", 150_000, True)
    assert (child.insutype, child.balance_fen) == ("390", 0)  # a child is a resident, without account
    token = get_gateway().issue_voucher(patients[0]["id_number"]).token
    settlement.settle(Claim(med_org_ord="SEED-1", lines=LINES, voucher_token=token, certno=patients[0]["id_number"]))
    spent = in_process_insurer().balance_of(adult.psn_no)
    assert spent < 150_000
    seed_demo(patients)  # a second run keeps what was spent
    assert in_process_insurer().balance_of(adult.psn_no) == spent


def test_the_demo_shows_a_patient_past_his_deductible_and_one_below_it(ins_app):
    patients = [
        {"name": "王建国", "id_number": valid_id("19520314", "011"), "phone": "13800000001"},
        {"name": "李秀兰", "id_number": valid_id("19481102", "021"), "phone": "13800000002"},
    ]
    seed_demo(patients)
    splits = []
    for patient in patients:
        token = get_gateway().issue_voucher(patient["id_number"]).token
        claim = Claim(
            med_org_ord=f"DEMO-{patient['phone']}", lines=LINES, voucher_token=token, certno=patient["id_number"]
        )
        splits.append(settlement.presettle(claim))
    assert splits[0].fund_pay_sumamt > 0 and splits[0].act_pay_dedc == 0  # deductible met: the fund pays
    assert splits[1].fund_pay_sumamt == 0 and splits[1].act_pay_dedc > 0  # below it: it counts towards it
