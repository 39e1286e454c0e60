"""Idempotency-Key on POST /api/orders: one order and one charge, however often it is sent."""

from __future__ import annotations

import threading
import uuid

import pytest

from core import idempotency
from core.extensions import db
from core.idempotency import DONE, IdempotencyRecord
from pharmacy.models import Order, OrderStatus
from tests.pharmacy.conftest import ADDRESS

PATIENT = "13800000001"


def _orders(pid: int) -> list[Order]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Order).filter_by(prescription_id=pid)).scalars())


def test_same_key_sequentially_replays_the_first_answer(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id)
    token, key = shop.voucher(), uuid.uuid4().hex
    first = shop.pay(PATIENT, pid, token, key=key)
    again = shop.pay(PATIENT, pid, token, key=key)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(_orders(pid)) == 1
    assert len(shop.charges(first.get_json()["ref"])) == 1


def _record(key: str) -> IdempotencyRecord | None:
    db.session.expire_all()
    return db.session.execute(db.select(IdempotencyRecord).filter_by(key=key)).scalar_one_or_none()


def test_the_paid_answer_commits_with_the_payment(shop, monkeypatch):
    """The paid order's answer is stored in the transaction that commits the payment: no commit
    follows the payment's to store it, and what the patient got is what a retry gets."""
    finished = []
    monkeypatch.setattr(idempotency, "finish", lambda *args: finished.append(args))  # would store it apart
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id)
    token, key = shop.voucher(), uuid.uuid4().hex
    first = shop.pay(PATIENT, pid, token, key=key)
    assert first.status_code == 201 and first.get_json()["status"] == OrderStatus.PAID
    assert finished == []
    record = _record(key)
    assert record.state == DONE and record.response_status == 201
    assert record.response_body == first.get_json() and record.resource == f"order:{first.get_json()['id']}"
    again = shop.pay(PATIENT, pid, token, key=key)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_json() == first.get_json()


def test_a_stored_answer_goes_with_a_payment_rolled_back(shop, monkeypatch):
    """Stored, then the payment's transaction fails: the answer is rolled back with it, and the
    key is released as after any server error (the order is left to the sweep, as a crash is)."""
    real = idempotency.store_answer

    def store_then_fail(status, body):
        real(status, body)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(idempotency, "store_answer", store_then_fail)
    pid = shop.rx.add(shop.user(PATIENT).id)
    key = uuid.uuid4().hex
    with pytest.raises(RuntimeError, match="went away"):
        shop.pay(PATIENT, pid, key=key)
    assert _record(key) is None
    assert [order.status for order in _orders(pid)] == [OrderStatus.PENDING_PAYMENT]


def test_same_key_different_body_is_422(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    key = uuid.uuid4().hex
    assert shop.pay(PATIENT, pid, key=key).status_code == 201
    response = shop.pay(PATIENT, pid, key=key, address={**ADDRESS, "detail": "另一个地址 8号楼"})
    assert response.status_code == 422 and response.get_json()["reason"] == "idempotency_key_reused"


def test_key_is_required(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    response = shop.client.post(
        "/api/orders", json={"prescription_id": pid, "address": ADDRESS}, headers=shop.login(PATIENT)
    )
    assert response.status_code == 422 and response.get_json()["reason"] == "idempotency_key_required"


def test_errors_are_replayed_too(shop):
    shop.set_stock("AML5", 0)
    pid = shop.rx.add(shop.user(PATIENT).id)
    key = uuid.uuid4().hex
    first = shop.pay(PATIENT, pid, key=key)
    assert first.status_code == 409
    assert shop.pay(PATIENT, pid, key=key).get_json() == first.get_json()


def test_a_refusal_before_anything_was_written_is_replayed(shop):
    """The claim commits with the request's first commit: a request refused before it wrote
    anything rolls its claim back, and its answer is stored anew for the replays."""
    pid = shop.rx.add(shop.user(PATIENT).id)
    key = uuid.uuid4().hex
    first = shop.pay(PATIENT, pid, key=key, address={**ADDRESS, "mobile": "123"})
    assert first.status_code == 422 and first.get_json()["reason"] == "invalid_mobile"
    again = shop.pay(PATIENT, pid, key=key, address={**ADDRESS, "mobile": "123"})
    assert again.get_json() == first.get_json() and again.headers.get("Idempotent-Replayed") == "true"
    assert _orders(pid) == []


def test_an_answer_never_lands_on_another_requests_key(shop):
    """A claim rolled back frees its id, which SQLite may give to the next claim: the first
    request's answer is stored under its own key, never over the other request's record."""
    from core import idempotency

    user = shop.user(PATIENT)
    scope = "POST /api/orders"
    first = idempotency.begin(user.id, "k-first", scope, idempotency.fingerprint(scope, {"a": 1}))
    db.session.rollback()  # refused before its first commit
    second = idempotency.begin(user.id, "k-second", scope, idempotency.fingerprint(scope, {"a": 2}))
    db.session.commit()
    idempotency.finish(first, 404, {"reason": "prescription_not_found"})
    rows = {
        r.key: r
        for r in db.session.execute(db.select(idempotency.IdempotencyRecord).filter_by(user_id=user.id)).scalars()
    }
    assert rows["k-second"].state == idempotency.RUNNING and rows["k-second"].response_body is None
    assert rows["k-first"].state == idempotency.DONE and rows["k-first"].response_status == 404
    assert second.id == rows["k-second"].id


def test_key_still_running_is_409(shop):
    from core import idempotency

    user = shop.user(PATIENT)
    scope = "POST /api/orders"
    body = {"prescription_id": 1, "voucher_token": None, "address": ADDRESS}
    idempotency.begin(user.id, "k-running", scope, idempotency.fingerprint(scope, body))  # a first request mid-way
    db.session.commit()  # its first commit (the payment's message ids) took the claim with it
    response = shop.client.post(
        "/api/orders", json=body, headers={**shop.login(PATIENT), "Idempotency-Key": "k-running"}
    )
    assert response.status_code == 409 and response.get_json()["reason"] == "idempotency_in_progress"


def test_key_of_a_request_that_died_is_taken_over_after_a_while(shop):
    from datetime import timedelta

    from core import clock, idempotency

    user = shop.user(PATIENT)
    pid = shop.rx.add(user.id)
    scope = "POST /api/orders"
    body = {"prescription_id": pid, "voucher_token": None, "address": ADDRESS}
    idempotency.begin(user.id, "k-died", scope, idempotency.fingerprint(scope, body))
    db.session.commit()  # its first commit took the claim; then its process died
    with clock.frozen(clock.now() + idempotency.UNBOUND_STALE_AFTER + timedelta(seconds=1)):
        retried = shop.client.post(
            "/api/orders", json=body, headers={**shop.login(PATIENT), "Idempotency-Key": "k-died"}
        )
    assert retried.status_code == 201 and len(_orders(pid)) == 1
    replay = shop.client.post("/api/orders", json=body, headers={**shop.login(PATIENT), "Idempotency-Key": "k-died"})
    assert replay.get_json() == retried.get_json()


def test_same_key_concurrently_one_order_one_charge(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id)
    token, key = shop.voucher(), uuid.uuid4().hex
    headers = {**shop.login(PATIENT), "Idempotency-Key": key}
    body = {"prescription_id": pid, "voucher_token": token, "address": ADDRESS}
    results: list = []
    barrier = threading.Barrier(8)

    def send():
        with shop.app.app_context():
            client = shop.app.test_client()
            barrier.wait()
            response = client.post("/api/orders", json=body, headers=headers)
            results.append((response.status_code, response.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert set(codes) <= {201, 409}, results
    assert 201 in codes
    assert all(body["reason"] == "idempotency_in_progress" for code, body in results if code == 409)
    orders = _orders(pid)
    assert len(orders) == 1 and len(shop.charges(orders[0].ref)) == 1
    assert {body["id"] for code, body in results if code == 201} == {orders[0].id}
    # After the first finished, the same key replays the same order.
    assert shop.client.post("/api/orders", json=body, headers=headers).get_json()["id"] == orders[0].id
