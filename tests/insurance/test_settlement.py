"""Settlement through the in-process insurer: verify, presettle, settle once, faults, resolve, reverse.

The standard bill (conftest.LINES): A 60 yuan, B 50 yuan, C 30 yuan = 140 yuan; an employee with
the deductible met and 1 000 yuan in his account. By hand: B pays 5 first (10 %), C 30 in full;
the base is 60 + 45 = 105; the fund pays 105 × 70 % = 73.50; the person 140 - 73.50 = 66.50, all
from the account (balance 1 000 -> 933.50).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.errors import Conflict, Forbidden, UpstreamUnavailable, ValidationFailed
from core.extensions import db
from insurance import envelope, settlement
from insurance.errors import SettlementUnknown
from insurance.gateway import TransportError, get_gateway, in_process_insurer
from insurance.mock_insurer.models import MiMessage
from insurance.models import Settlement
from tests.insurance.conftest import LINES

FUND, PERSON, TOTAL = 7_350, 6_650, 14_000


def test_verify_voucher_names_the_person(insured):
    person = insured.person(chronic=["I10"])
    who = get_gateway().verify_voucher(insured.voucher(person), person["certno"])
    assert (who.psn_no, who.insutype, who.balance_fen) == (person["psn_no"], "310", 100_000)
    assert who.certno_masked.startswith(person["certno"][:4]) and "*" in who.certno_masked
    assert who.chronic_eligible("I10.x00") and not who.chronic_eligible("E11.9")


def test_a_voucher_of_someone_else_is_refused(insured):
    mine, other = insured.person(), insured.person()
    with pytest.raises(Forbidden) as err:
        settlement.presettle(insured.claim(mine, "ORD-X", token=insured.voucher(other)))
    assert err.value.reason == "voucher_not_yours"


def test_forged_and_expired_vouchers_are_refused(insured):
    person = insured.person()
    token = insured.voucher(person)
    with pytest.raises(ValidationFailed) as forged:
        settlement.presettle(insured.claim(person, "ORD-F", token=token[:-3] + "abc"))
    assert forged.value.reason == "voucher_forged"
    with clock.frozen(clock.now() + timedelta(seconds=61)), pytest.raises(ValidationFailed) as expired:
        settlement.presettle(insured.claim(person, "ORD-E", token=token))
    assert expired.value.reason == "voucher_expired"


def test_presettle_shows_the_split_and_charges_nothing(insured):
    person = insured.person()
    split = settlement.presettle(insured.claim(person, "ORD-P"))
    assert (split.medfee_sumamt, split.fund_pay_sumamt, split.acct_pay, split.psn_cash_pay) == (TOTAL, FUND, PERSON, 0)
    assert [line.drug_class for line in split.lines] == ["01", "02", "03"]
    assert (split.preselfpay_amt, split.fulamt_ownpay_amt) == (500, 3_000)
    assert insured.balance(person) == 100_000 and insured.charges("ORD-P") == []


def test_chronic_claim_uses_med_type_14_only_when_filed(insured):
    filed, not_filed = insured.person(chronic=["I10"]), insured.person()
    chronic = settlement.presettle(insured.claim(filed, "ORD-C1", chronic=True, dise_codg="I10"))
    ordinary = settlement.presettle(insured.claim(not_filed, "ORD-C2", chronic=True, dise_codg="I10"))
    assert chronic.med_type == "14" and ordinary.med_type == "11"
    # Chronic employee terms: 90 % of the base of 105 yuan = 94.50 from the fund.
    assert chronic.fund_pay_sumamt == 9_450 and ordinary.fund_pay_sumamt == FUND


def test_settle_charges_once_and_a_repeat_returns_the_same_settlement(flow, insured):
    person = insured.person()
    claim = insured.claim(person, "ORD-1")
    first = settlement.settle(claim)
    again = settlement.settle(claim)
    assert first.status == "settled" and again.id == first.id and again.setl_id == first.setl_id
    assert (first.fund_pay_sumamt, first.acct_pay, first.psn_cash_pay) == (FUND, PERSON, 0)
    [charge] = insured.charges("ORD-1")
    assert charge.mdtrt_id.startswith("PO") == (flow == "mobile")  # the mobile channel's payOrdId
    assert insured.balance(person) == 100_000 - PERSON


def test_a_voucher_pays_only_once(flow, insured):
    person = insured.person()
    token = insured.voucher(person)
    settlement.settle(insured.claim(person, "ORD-2a", token=token))
    with pytest.raises(ValidationFailed) as err:
        settlement.settle(insured.claim(person, "ORD-2b", token=token))
    assert err.value.reason == "voucher_used"
    assert insured.charges("ORD-2b") == []


def test_the_same_order_with_other_items_is_refused(insured):
    person = insured.person()
    settlement.settle(insured.claim(person, "ORD-3"))
    with pytest.raises(Conflict) as err:
        settlement.settle(insured.claim(person, "ORD-3", lines=LINES[:1]))
    assert err.value.reason == "claim_changed"


def test_self_pay_goes_through_the_same_flow_in_cash(flow, insured):
    paid = settlement.settle(insured.claim(None, "ORD-CASH"))
    assert (paid.pay_kind, paid.status, paid.psn_cash_pay, paid.fund_pay_sumamt) == ("self_pay", "settled", TOTAL, 0)
    [charge] = insured.charges("ORD-CASH")
    assert charge.setl_type == "CASH" and charge.psn_cash_pay == TOTAL


def test_insurer_failure_charges_nothing_and_the_claim_can_be_retried(flow, insured):
    person = insured.person()
    get_gateway().faults({"fail_next": 1, "infnos": ["2207", "6202"]})
    claim = insured.claim(person, "ORD-FAIL")
    with pytest.raises(UpstreamUnavailable) as err:
        settlement.settle(claim)
    assert err.value.reason == "insurer_unavailable"
    assert insured.charges("ORD-FAIL") == [] and insured.balance(person) == 100_000
    assert db.session.execute(db.select(Settlement.status).filter_by(med_org_ord="ORD-FAIL")).scalar() == "failed"
    retried = settlement.settle(claim)  # the same voucher: nothing spent it
    assert retried.status == "settled" and len(insured.charges("ORD-FAIL")) == 1


def test_timeout_after_charging_ends_settled_exactly_once_after_resolve(flow, insured):
    person = insured.person()
    claim = insured.claim(person, "ORD-TO")
    get_gateway().faults({"timeout_after_charge": True})
    with pytest.raises(SettlementUnknown):
        settlement.settle(claim)
    with pytest.raises(SettlementUnknown):  # asking again never charges again
        settlement.settle(claim)
    assert len(insured.charges("ORD-TO")) == 1  # the retries repeated the msgid: one charge
    get_gateway().faults({}, replace=True)
    [resolution] = settlement.resolve_unknown(older_than_seconds=0)
    assert (resolution.before, resolution.after) == ("unknown", "settled") and "6301" in resolution.how
    view = settlement.settlement_for("ORD-TO")
    assert view.status == "settled" and view.fund_pay_sumamt == FUND and view.setl_id
    assert len(insured.charges("ORD-TO")) == 1
    assert insured.balance(person) == 100_000 - PERSON
    assert settlement.settle(claim).id == view.id  # and now a repeat simply returns it


def test_a_lost_message_that_never_arrived_is_barred_and_the_claim_fails(flow, insured, monkeypatch):
    person = insured.person()
    claim = insured.claim(person, "ORD-LOST")
    transport = get_gateway().transport
    real_send, lost = transport.send, []

    def drop_settlements(env, timeout):
        if env["infno"] in (envelope.SETTLE, envelope.PAY_ORDER):
            lost.append(env)
            raise TransportError("connection reset")
        return real_send(env, timeout)

    monkeypatch.setattr(transport, "send", drop_settlements)
    with pytest.raises(SettlementUnknown):
        settlement.settle(claim)
    monkeypatch.setattr(transport, "send", real_send)
    [resolution] = settlement.resolve_unknown(older_than_seconds=0)
    assert resolution.after == "failed" and "2601" in resolution.how
    # The lost message turns up late: the insurer answers it with the correction, charging nothing.
    late = in_process_insurer().handle(lost[0])
    assert late["infcode"] == -1 and "corrected" in late["err_msg"]
    assert insured.charges("ORD-LOST") == [] and insured.balance(person) == 100_000
    assert settlement.settle(insured.claim(person, "ORD-LOST")).status == "settled"  # a new voucher works


def test_reverse_refunds_everything_once(flow, insured):
    person = insured.person()
    settlement.settle(insured.claim(person, "ORD-R"))
    refunded = settlement.reverse("ORD-R")
    assert refunded.status == "reversed" and refunded.reversed_at is not None
    assert insured.balance(person) == 100_000
    assert insured.charges("ORD-R")[0].ord_stas == "7"
    assert settlement.reverse("ORD-R").id == refunded.id  # a repeat is harmless


def test_a_reversal_whose_answer_is_lost_is_finished_by_resolve(flow, insured):
    person = insured.person()
    settlement.settle(insured.claim(person, "ORD-RL"))
    get_gateway().faults({"timeout_after_charge": True, "infnos": ["2208", "6203"]})
    with pytest.raises(SettlementUnknown):
        settlement.reverse("ORD-RL")
    get_gateway().faults({}, replace=True)
    [resolution] = settlement.resolve_unknown(older_than_seconds=0)
    assert (resolution.before, resolution.after) == ("reversing", "reversed")
    assert insured.balance(person) == 100_000 and insured.charges("ORD-RL")[0].ord_stas == "7"


def test_the_insurer_answers_a_repeated_msgid_with_its_first_answer(insured):
    person = insured.person()
    claim = insured.claim(person, "ORD-DUP")
    gateway = get_gateway()
    who, med_type = settlement.identify(claim)
    bill = gateway._bill(claim, who, med_type)
    msgid = "H35010000001" + clock.local_now().strftime("%Y%m%d%H%M%S") + "9999"
    request = envelope.request("2207", msgid, bill, gateway.settings.sender, clock.local_now())
    insurer = in_process_insurer()
    first, second = insurer.handle(request), insurer.handle(request)
    assert first == second and first["infcode"] == 0
    assert len(insured.charges("ORD-DUP")) == 1
    other = envelope.request("2206", msgid, bill, gateway.settings.sender, clock.local_now())
    assert "msgid_reused" in insurer.handle(other)["err_msg"]
    assert db.session.execute(db.select(db.func.count(MiMessage.id)).filter_by(msgid=msgid)).scalar() == 1


def test_a_resent_refund_is_the_same_message_even_a_second_later(flow, insured):
    person = insured.person()
    settlement.settle(insured.claim(person, "ORD-RS"))
    get_gateway().faults({"timeout_after_charge": True, "infnos": ["2208", "6203"]})
    with pytest.raises(SettlementUnknown):
        settlement.reverse("ORD-RS")
    get_gateway().faults({}, replace=True)
    with clock.frozen(clock.now() + timedelta(seconds=5)):  # the resend happens later
        [resolution] = settlement.resolve_unknown(older_than_seconds=0)
    assert resolution.after == "reversed", resolution
