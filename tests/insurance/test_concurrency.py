"""50 concurrent settle calls for one claim: exactly one charge on both ledgers (SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.errors import AppError
from core.extensions import db
from insurance import settlement
from insurance.mock_insurer.models import MiSettlement, MiUsedVoucher
from insurance.models import Settlement
from tests.insurance.conftest import Insured, configure, ensure_tables

CALLS = 50
PERSON_PART = 6_650  # the standard bill's person part (see test_settlement)


def settle_concurrently(app, claim) -> list[str]:
    """Start CALLS settle calls for one claim at once; each reports its outcome."""
    start = threading.Barrier(CALLS)

    def one(_index: int) -> str:
        with app.app_context():
            try:
                start.wait()
                return f"settled:{settlement.settle(claim).id}"
            except AppError as err:
                return err.reason
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        return list(pool.map(one, range(CALLS)))


def assert_one_charge(outcomes: list[str], insured: Insured, person: dict, order: str) -> None:
    settled = {o for o in outcomes if o.startswith("settled:")}
    assert len(settled) == 1, outcomes  # everyone who got a settlement got the same one
    assert set(outcomes) - settled <= {"settlement_in_progress"}, outcomes
    ours = db.session.execute(db.select(Settlement).filter_by(med_org_ord=order)).scalars().all()
    assert [s.status for s in ours] == ["settled"]
    theirs = db.session.execute(db.select(MiSettlement).filter_by(med_org_ord=order)).scalars().all()
    assert len(theirs) == 1 and theirs[0].setl_id == ours[0].setl_id
    assert db.session.execute(db.select(db.func.count(MiUsedVoucher.id))).scalar() == 1
    assert insured.balance(person) == 100_000 - PERSON_PART


def test_fifty_concurrent_settles_charge_once_on_sqlite(ins_app, flow, insured):
    person = insured.person()
    claim = insured.claim(person, "ORD-RACE")
    outcomes = settle_concurrently(ins_app, claim)
    assert_one_charge(outcomes, insured, person, "ORD-RACE")


@pytest.mark.postgres
def test_fifty_concurrent_settles_charge_once_on_postgres(pg_app):
    ensure_tables()
    configure(pg_app)
    insured = Insured()
    person = insured.person()
    claim = insured.claim(person, "ORD-RACE-PG")
    outcomes = settle_concurrently(pg_app, claim)
    assert_one_charge(outcomes, insured, person, "ORD-RACE-PG")


def test_many_orders_at_once_hold_one_connection_each(ins_app, insured):
    # 20 threads > the pool's 15 connections: a thread that kept its own connection while the
    # in-process insurer waited for another would deadlock the pool.
    person = insured.person(balance_fen=1_000_000)
    claims = [insured.claim(person, f"ORD-MANY-{i}") for i in range(20)]

    def one(claim) -> str:
        with ins_app.app_context():
            try:
                return settlement.settle(claim).status
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, claims)) == ["settled"] * 20
    assert insured.balance(person) == 1_000_000 - 20 * PERSON_PART
