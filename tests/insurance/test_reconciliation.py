"""Reconciliation: none when both ledgers agree; every planted difference is found."""

from __future__ import annotations

from datetime import datetime

import pytest

from core import clock
from core.extensions import db
from insurance import settlement
from insurance.claims import Claim
from insurance.errors import SettlementUnknown
from insurance.gateway import get_gateway
from insurance.mock_insurer.models import MiSettlement
from insurance.models import Settlement
from insurance.reconciliation import reconcile
from tests.insurance.conftest import LINES

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=clock.local_tz())


@pytest.fixture
def day(insured):
    """A frozen day with two insured settlements, one self-paid, and one refunded."""
    with clock.frozen(NOON):
        person = insured.person()
        for order in ("REC-1", "REC-2", "REC-3"):
            settlement.settle(insured.claim(person, order))
        settlement.settle(insured.claim(None, "REC-CASH"))
        settlement.reverse("REC-3")
        yield NOON.date()


def kinds(result) -> list[tuple[str, str]]:
    return [(d.kind, d.med_org_ord) for d in result.differences]


def test_agreeing_ledgers_reconcile_without_differences(day):
    result = reconcile(day)
    assert result.differences == () and result.statement.balanced and result.balanced
    # 4 settlements and 1 refund: 3 × 140 yuan + 140 yuan cash - 140 yuan refunded = 420 yuan.
    assert result.ours == result.theirs
    assert (result.ours.count, result.ours.medfee_sumamt) == (5, 42_000)
    assert result.ours.psn_cash_pay == 14_000  # the self-paid order


def test_an_amount_changed_in_our_ledger_is_found(day):
    row = db.session.execute(db.select(Settlement).filter_by(med_org_ord="REC-1")).scalar_one()
    row.fund_pay_sumamt += 1  # planted: one fen more than the insurer paid
    db.session.commit()
    result = reconcile(day)
    assert not result.balanced and not result.statement.balanced
    [diff] = result.differences
    assert (diff.kind, diff.med_org_ord, diff.field, diff.ours, diff.theirs) == (
        "amount_mismatch",
        "REC-1",
        "fund_pay_sumamt",
        7_351,
        7_350,
    )


def test_a_row_missing_on_either_side_is_found(day):
    theirs = db.session.execute(db.select(MiSettlement).filter_by(med_org_ord="REC-2")).scalar_one()
    db.session.delete(theirs)  # planted: the insurer lost REC-2
    db.session.commit()
    with clock.frozen(NOON):
        extra = settlement.settle(Claim(med_org_ord="REC-4", lines=LINES))  # paid, then erased here
    db.session.execute(db.delete(Settlement).where(Settlement.id == extra.id))
    db.session.commit()
    result = reconcile(day)
    assert sorted(kinds(result)) == [("missing_at_insurer", "REC-2"), ("missing_here", "REC-4")]


def test_a_status_that_differs_is_found(day):
    theirs = db.session.execute(db.select(MiSettlement).filter_by(med_org_ord="REC-1")).scalar_one()
    theirs.ord_stas = "7"  # planted: refunded at the insurer, settled here
    db.session.commit()
    result = reconcile(day)
    assert kinds(result) == [("status_mismatch", "REC-1")]
    assert (result.differences[0].ours, result.differences[0].theirs) == ("settled", "7")


def test_an_unknown_settlement_shows_until_it_is_resolved(day, insured):
    with clock.frozen(NOON):
        person = insured.person()
        get_gateway().faults({"timeout_after_charge": True})
        with pytest.raises(SettlementUnknown):
            settlement.settle(insured.claim(person, "REC-U"))
        get_gateway().faults({}, replace=True)
        assert kinds(reconcile(day)) == [("status_mismatch", "REC-U")]
        settlement.resolve_unknown(older_than_seconds=0)
        assert reconcile(day).balanced
