"""100 concurrent orders for a drug with stock for 10: exactly 10 succeed, 90 are told "out of
stock", and the insurer charges exactly 10 vouchers (SQLite with threads; PostgreSQL)."""

from __future__ import annotations

import threading
import uuid

import pytest

from core.extensions import db
from insurance.gateway import get_gateway, in_process_insurer, reset_gateway
from pharmacy.models import Order, Pharmacy, StockLevel
from tests.pharmacy.conftest import ADDRESS, AML_ONE_BOX, FAST, Prescriptions, Shop

N, STOCK = 100, 10


def _hundred_orders(app, rx: Prescriptions, patient_id: int, token: str, new_vouchers) -> list:
    """Send N orders at once, each for its own prescription with its own voucher (shown once the
    prescriptions exist: on a busy machine writing them can outlast a voucher's lifetime)."""
    prescriptions = [rx.add(patient_id, lines=(AML_ONE_BOX,)) for _ in range(N)]
    vouchers = new_vouchers()
    barrier, results, lock = threading.Barrier(N), [], threading.Lock()

    def one(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            body = {"prescription_id": prescriptions[index], "voucher_token": vouchers[index], "address": ADDRESS}
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
            barrier.wait()
            response = client.post("/api/orders", json=body, headers=headers)
            with lock:
                results.append((response.status_code, response.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    return results


def _assert_ten_won(results: list, pharmacy_id: int) -> None:
    assert len(results) == N
    won = [body for code, body in results if code == 201]
    lost = [(code, body) for code, body in results if code != 201]
    assert len(won) == STOCK, [c for c, _ in results]
    assert all(code == 409 and body["reason"] == "out_of_stock" for code, body in lost), lost[:3]
    db.session.expire_all()
    level = db.session.execute(db.select(StockLevel).filter_by(pharmacy_id=pharmacy_id, drug_code="AML5")).scalar_one()
    assert level.available == 0
    insurer = in_process_insurer()
    charged = [o for o in db.session.execute(db.select(Order)).scalars() if insurer.settlements_for(o.ref)]
    assert len(charged) == STOCK
    assert {o.ref for o in charged} == {body["ref"] for body in won}
    for _code, body in lost:  # refused before the insurer was asked: no order row, no charge
        assert "ref" not in body


def _tokens(certno: str) -> list[str]:
    return [get_gateway().issue_voucher(certno).token for _ in range(N)]


def _run(shop: Shop) -> None:
    certno = shop.enroll(balance_fen=10_000_000)
    shop.set_stock("AML5", STOCK)
    user = shop.user("13800000001")
    token = shop.login("13800000001")["Authorization"][7:]
    pharmacy_id = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()
    results = _hundred_orders(shop.app, shop.rx, user.id, token, lambda: _tokens(certno))
    _assert_ten_won(results, pharmacy_id)


@pytest.mark.timeout(300)
def test_hundred_concurrent_orders_on_sqlite(shop):
    _run(shop)


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_hundred_concurrent_orders_on_postgres(pg_app):
    pg_app.config.update(FAST)
    pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    reset_gateway(pg_app)
    pg_app.extensions.pop("mock_insurer", None)
    _run(Shop(pg_app, Prescriptions()))
