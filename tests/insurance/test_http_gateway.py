"""The HTTP gateway against the mock insurer running as its own process on a loopback port.

The mock is started the documented way (`python -m insurance.mock_insurer.server`), with its own
SQLite ledger; one test kills it in the middle of a call and starts it again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from core.config import ROOT
from core.extensions import db
from insurance import settlement
from insurance.errors import SettlementUnknown
from insurance.gateway import get_gateway
from insurance.mock_insurer.models import MiSettlement
from tests.conftest import free_port
from tests.insurance.conftest import Insured, configure

pytestmark = pytest.mark.live


class MockInsurerProcess:
    """`python -m insurance.mock_insurer.server` on 127.0.0.1:port with its own database file."""

    def __init__(self, db_path: Path, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{db_path}"
        self.log_path = log_path
        self.process = None
        self.start()

    def start(self) -> None:
        env = {**os.environ, "MOCK_INSURER_DATABASE_URL": self.db_url, "MOCK_INSURER_SECRET": "http-test-secret"}
        env.pop("FLASK_APP", None)
        command = [sys.executable, "-m", "insurance.mock_insurer.server"]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [*command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120  # a last resort: a busy machine starts it slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mock insurer exited: {self.log_path.read_text()}")
            try:
                requests.get(self.url + "/health", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("mock insurer did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def faults(self, **values) -> dict:
        return requests.post(self.url + "/admin/faults?replace=1", json=values, timeout=5).json()

    def settlements(self, order: str) -> list:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                query = sa.select(MiSettlement.__table__).where(MiSettlement.med_org_ord == order)
                return list(connection.execute(query))
        finally:
            engine.dispose()

    def balance(self, psn_no: str) -> int:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return connection.execute(
                    sa.text("SELECT balc FROM mi_persons WHERE psn_no = :p"), {"p": psn_no}
                ).scalar()
        finally:
            engine.dispose()


class HttpInsured(Insured):
    def __init__(self, server: MockInsurerProcess):
        super().__init__()
        self.server = server

    def balance(self, person: dict) -> int:
        return self.server.balance(person["psn_no"])

    def charges(self, order: str) -> list:
        return self.server.settlements(order)


@pytest.fixture
def mock_server(tmp_path):
    server = MockInsurerProcess(tmp_path / "mock_insurer.db", tmp_path / "mock_insurer.log")
    yield server
    server.stop()


@pytest.fixture
def http_insured(ins_app, mock_server):
    configure(ins_app, INSURANCE_GATEWAY="http", INSURANCE_URL=mock_server.url)
    return HttpInsured(mock_server)


def test_settle_and_reverse_over_http_keep_the_insurers_own_ledger(http_insured, mock_server):
    person = http_insured.person(chronic=["E11"])
    who = get_gateway().verify_voucher(http_insured.voucher(person), person["certno"])
    assert who.psn_no == person["psn_no"] and who.chronic_eligible("E11.9")
    split = settlement.presettle(http_insured.claim(person, "HTTP-1"))
    paid = settlement.settle(http_insured.claim(person, "HTTP-1"))
    assert paid.status == "settled" and paid.fund_pay_sumamt == split.fund_pay_sumamt == 7_350
    [charge] = mock_server.settlements("HTTP-1")
    assert charge.setl_id == paid.setl_id and charge.ord_stas == "6"
    # The hospital database holds no insurer rows: the ledger is the other process's.
    assert db.session.execute(db.select(db.func.count(MiSettlement.id))).scalar() == 0
    settlement.reverse("HTTP-1")
    assert mock_server.settlements("HTTP-1")[0].ord_stas == "7"
    assert http_insured.balance(person) == 100_000


def test_http_timeout_after_charging_is_resolved_to_one_settlement(ins_app, http_insured, mock_server):
    configure(
        ins_app, INSURANCE_GATEWAY="http", INSURANCE_URL=mock_server.url, INSURANCE_TIMEOUT=0.5, INSURANCE_RETRIES=2
    )
    person = http_insured.person()
    claim = http_insured.claim(person, "HTTP-TO")
    mock_server.faults(timeout_after_charge=True, hang_ms=1_500)
    with pytest.raises(SettlementUnknown):
        settlement.settle(claim)
    mock_server.faults()
    [resolution] = settlement.resolve_unknown(older_than_seconds=0)
    assert resolution.after == "settled"
    assert len(mock_server.settlements("HTTP-TO")) == 1
    assert http_insured.balance(person) == 100_000 - 6_650


def _wait_for(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


@pytest.mark.parametrize("flow", ["counter", "mobile"])
@pytest.mark.parametrize("moment", ["before_charging", "after_charging"])
def test_insurer_killed_mid_call_and_restarted(ins_app, http_insured, mock_server, moment, flow):
    # Retries for up to ~2 minutes: 1 s per attempt, backoff 0.3 s doubling to 1 s, 60 attempts.
    # The payer stops retrying as soon as the restarted insurer answers, so this costs nothing
    # on a quiet machine, and on a busy one the restart may take far longer than a few seconds.
    configure(
        ins_app,
        INSURANCE_GATEWAY="http",
        INSURANCE_URL=mock_server.url,
        INSURANCE_TIMEOUT=1.0,
        INSURANCE_RETRIES=60,
        INSURANCE_BACKOFF=0.3,
        INSURANCE_BACKOFF_CAP=1.0,
        INSURANCE_FLOW=flow,
    )
    person = http_insured.person()
    claim = http_insured.claim(person, "HTTP-KILL")
    delay = {"delay_ms": 3_000} if moment == "before_charging" else {"delay_after_ms": 3_000}
    mock_server.faults(infnos=["2207", "6202"], **delay)
    outcome = {}

    def pay():
        with ins_app.app_context():
            try:
                outcome["view"] = settlement.settle(claim)
            except Exception as err:  # reported by the assertion below
                outcome["error"] = err
            finally:
                db.session.remove()

    payer = threading.Thread(target=pay)
    payer.start()
    if moment == "after_charging":
        _wait_for(lambda: len(mock_server.settlements("HTTP-KILL")) == 1)  # charged, answer not yet sent
    else:
        time.sleep(0.5)  # the 2207 is waiting inside the insurer, nothing charged yet
        assert mock_server.settlements("HTTP-KILL") == []
    mock_server.kill()
    mock_server.start()  # same port, same ledger file, no faults
    payer.join(timeout=180)
    assert "error" not in outcome, outcome
    assert outcome["view"].status == "settled"
    [charge] = mock_server.settlements("HTTP-KILL")
    assert charge.mdtrt_id.startswith("PO") == (flow == "mobile")  # 6202 pays the payOrdId of a 6201
    assert http_insured.balance(person) == 100_000 - 6_650
