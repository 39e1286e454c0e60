"""A voucher payment survives the server being killed (SIGKILL) at any point of it.

The real server process pays through the mock insurer running as its own HTTP process. It is
killed at four points: before the insurer is called, while the insurer answers slowly (it has
charged), after the insurer answered but before anything was recorded, and after the
settlement was committed but before the order was. Then the server is started again and the
sweep runs. Every time: no double charge, no order left pending, stock back unless the order is
paid, the same Idempotency-Key answers with the order's outcome, a new payment goes through, and
the day's reconciliation with the insurer balances.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from core import clock, crypto
from core.extensions import db
from core.models import User
from insurance import reconciliation
from insurance.gateway import get_gateway, reset_gateway
from pharmacy import orders
from pharmacy.models import Order, Pharmacy, StockLevel
from tests.conftest import LiveServer, _copy_db, _make_app
from tests.insurance.test_http_gateway import MockInsurerProcess
from tests.pharmacy.conftest import ADDRESS, FAST, Prescriptions

pytestmark = pytest.mark.live

PATIENT = "13800000001"
DRUG, BOXES = "AML5", 2  # what Prescriptions().add writes: amlodipine, two boxes


def _wait_for(condition, timeout: float = 60, what: str = "condition"):
    """Poll until condition() is truthy (a busy machine only makes this slower, never wrong)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Scene:
    """The database file, the insurer process, an app on the same file for setup and checks."""

    def __init__(self, tmp_path, template):
        self.tmp_path = tmp_path
        self.db_path = _copy_db(template, tmp_path / "crash.db")
        self.insurer = MockInsurerProcess(tmp_path / "insurer.db", tmp_path / "insurer.log")
        self.app = _make_app(
            self.db_path, INSURANCE_GATEWAY="http", INSURANCE_URL=self.insurer.url, UPLOAD_FOLDER=str(tmp_path), **FAST
        )
        self.env = {"INSURANCE_GATEWAY": "http", "INSURANCE_URL": self.insurer.url}
        self.server: LiveServer | None = None
        self.runs = 0

    def start_server(self, failpoint: str = "") -> LiveServer:
        if self.server is not None:  # the killed one: it has ended
            self.server.process.wait(timeout=30)
        self.runs += 1
        env = {**self.env, "FAILPOINTS": failpoint}
        self.server = LiveServer(self.db_path, self.tmp_path / f"server{self.runs}.log", env=env)
        return self.server

    def patient(self) -> User:
        return db.session.execute(db.select(User).filter_by(username=PATIENT)).scalar_one()

    def enroll(self) -> None:
        user = self.patient()
        get_gateway().enroll(
            {
                "certno": crypto.decrypt(user.id_number_enc),
                "psn_name": user.name,
                "insutype": "310",
                "balc": "1000.00",
                "chronic": [{"code": "I10", "name": "高血压"}],
                "reset": True,
            }
        )

    def voucher(self) -> str:
        return get_gateway().issue_voucher(crypto.decrypt(self.patient().id_number_enc)).token

    def level(self) -> int:
        db.session.expire_all()
        pharmacy_id = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()
        return db.session.execute(
            db.select(StockLevel.available).filter_by(pharmacy_id=pharmacy_id, drug_code=DRUG)
        ).scalar_one()

    def order_of(self, prescription_id: int) -> Order:
        db.session.expire_all()
        return db.session.execute(db.select(Order).filter_by(prescription_id=prescription_id)).scalars().one()

    def charges(self, ref: str) -> list[str]:
        """The insurer's own ledger: the status of every settlement it holds for the order."""
        return [row.ord_stas for row in self.insurer.settlements(ref)]

    def insurer_rows(self) -> int:
        engine = sa.create_engine(self.insurer.db_url)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text("SELECT count(*) FROM mi_settlements")).scalar()
        finally:
            engine.dispose()

    def pay(self, prescription_id: int, key: str, voucher: str | None = None, timeout: float = 60) -> requests.Response:
        server = self.server
        headers = {"Authorization": f"Bearer {server.login(PATIENT)}", "Idempotency-Key": key}
        body = {"prescription_id": prescription_id, "voucher_token": voucher or self.voucher(), "address": ADDRESS}
        return requests.post(server.url + "/api/orders", json=body, headers=headers, timeout=timeout)

    def close(self) -> None:
        if self.server is not None and self.server.process.poll() is None:
            self.server.stop()
        self.insurer.stop()


@pytest.fixture
def scene(demo_template_db, tmp_path):
    scene = Scene(tmp_path, demo_template_db)
    with scene.app.app_context():
        reset_gateway(scene.app)
        yield scene
        db.session.remove()
        db.engine.dispose()
    scene.close()


def _killed_by_a_failpoint(scene: Scene, prescription_id: int, key: str, voucher: str, failpoint: str) -> None:
    scene.start_server(failpoint)
    with pytest.raises(requests.ConnectionError):
        scene.pay(prescription_id, key, voucher)
    assert scene.server.process.wait(timeout=30) == -9  # SIGKILL, not an orderly exit


def _killed_while_the_insurer_answers_slowly(scene: Scene, prescription_id: int, key: str, voucher: str) -> None:
    scene.start_server()
    scene.insurer.faults(delay_after_ms=8000, infnos=["2207"])  # charged, then slow to answer
    before = scene.insurer_rows()
    outcome: list = []
    caller = threading.Thread(target=lambda: outcome.append(_attempt(scene, prescription_id, key, voucher)))
    caller.start()
    _wait_for(lambda: scene.insurer_rows() > before, what="the insurer to charge")
    scene.server.process.kill()
    caller.join(timeout=60)
    assert outcome and isinstance(outcome[0], requests.ConnectionError)
    scene.insurer.faults()  # no faults any more


def _attempt(scene: Scene, prescription_id: int, key: str, voucher: str):
    try:
        return scene.pay(prescription_id, key, voucher)
    except requests.RequestException as err:
        return err


# kill point -> (how the server dies, does the insurer hold a charge at the end)
POINTS = {
    "before_the_insurer_is_called": ("payment.before_insurer", False),
    "while_the_insurer_answers_slowly": (None, True),
    "after_the_answer_before_commit": ("settlement.answered", True),
    "after_commit": ("payment.settled", True),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_voucher_payment_killed_mid_way_ends_paid_once_or_released(scene, point):
    failpoint, charged = POINTS[point]
    scene.enroll()
    rx = Prescriptions()
    prescription_id = rx.add(scene.patient().id)
    before, key, voucher = scene.level(), uuid.uuid4().hex, scene.voucher()

    if failpoint:
        _killed_by_a_failpoint(scene, prescription_id, key, voucher, failpoint)
    else:
        _killed_while_the_insurer_answers_slowly(scene, prescription_id, key, voucher)
    stranded = scene.order_of(prescription_id)
    assert stranded.status == "pending_payment" and scene.level() == before - BOXES  # what the crash left

    scene.start_server()  # restarted, with no failpoint
    with clock.frozen(clock.now()):
        orders.resolve_stranded_payments(older_than_seconds=0)
    order = scene.order_of(prescription_id)
    assert order.status == ("paid" if charged else "payment_failed")
    assert scene.charges(order.ref).count("6") == (1 if charged else 0)  # never two charges
    assert scene.level() == before - (BOXES if charged else 0)

    # The key held by the dead request now answers with the order's outcome.
    replay = scene.pay(prescription_id, key, voucher)  # the same request again
    if charged:
        assert replay.status_code == 201 and replay.json()["id"] == order.id
    else:
        assert replay.status_code == 409 and replay.json()["reason"] == "payment_failed"

    # A new payment goes through: the same prescription if nothing was charged, else a new one.
    again = prescription_id if not charged else rx.add(scene.patient().id)
    paid_again = scene.pay(again, uuid.uuid4().hex)
    assert paid_again.status_code == 201, paid_again.text
    assert paid_again.json()["status"] == "paid"

    report = reconciliation.reconcile(clock.today())
    assert report.balanced, report.differences
