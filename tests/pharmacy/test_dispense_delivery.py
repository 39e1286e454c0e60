"""Dispensing first-expiry-first-out, the delivery state machine, cold chain, returns and refunds."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from pharmacy.models import Courier, Pharmacy, StockBatch, StockMovement
from tests.pharmacy.conftest import AML, INS

PATIENT = "13800000001"


def _paid(shop, lines=(AML,), voucher=False):
    if voucher:
        shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id, lines=lines)
    response = shop.pay(PATIENT, pid, shop.voucher() if voucher else None)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _dispense(shop, order_id, who="pharm01"):
    return shop.client.post(f"/api/orders/{order_id}/dispense", headers=shop.login(who))


def _step(shop, delivery_id, action, who="disp01", **body):
    return shop.client.post(f"/api/deliveries/{delivery_id}/{action}", json=body, headers=shop.login(who))


def _courier(cold: bool) -> int:
    hub = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()
    return db.session.execute(db.select(Courier.id).filter_by(pharmacy_id=hub, cold_chain=cold)).scalars().first()


def test_dispense_takes_the_earliest_unexpired_batch_first(shop):
    hub = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()
    today = clock.today()
    db.session.add_all(
        [
            StockBatch(
                pharmacy_id=hub, drug_code="AML5", batch_no="T-EXPIRED", expiry=today - timedelta(days=1), quantity=5
            ),
            StockBatch(
                pharmacy_id=hub, drug_code="AML5", batch_no="T-SOON", expiry=today + timedelta(days=5), quantity=1
            ),
        ]
    )
    db.session.commit()
    order = _paid(shop)
    response = _dispense(shop, order["id"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "dispensed" and body["delivery"]["status"] == "created"
    batches = body["lines"][0]["batches"]
    assert batches[0]["batch_no"] == "T-SOON" and batches[0]["quantity"] == 1
    assert batches[1]["quantity"] == 1 and batches[1]["batch_no"] != "T-EXPIRED"
    assert shop.rx.status_of(order["prescription_id"]) == "dispensed"
    assert _dispense(shop, order["id"]).status_code == 409  # only once


def test_only_the_pharmacy_pharmacist_dispenses(shop):
    order = _paid(shop)
    assert _dispense(shop, order["id"], "disp01").status_code == 403
    assert _dispense(shop, order["id"], "pharm03").status_code == 404
    assert _dispense(shop, order["id"], PATIENT).status_code == 403


def test_delivery_goes_through_every_step_with_times(shop):
    order = _paid(shop)
    delivery_id = _dispense(shop, order["id"]).get_json()["delivery"]["id"]
    assert _step(shop, delivery_id, "pick-up").status_code == 409  # not packed
    assert _step(shop, delivery_id, "pack").status_code == 200
    pick = _step(shop, delivery_id, "pick-up")
    assert pick.status_code == 409 and pick.get_json()["reason"] == "courier_required"
    assign = shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(False)}, headers=shop.login("disp01")
    )
    assert assign.status_code == 200
    assert _step(shop, delivery_id, "pick-up").status_code == 200
    assert _step(shop, delivery_id, "in-transit").status_code == 200
    missing = _step(shop, delivery_id, "deliver")
    assert missing.status_code == 422 and missing.get_json()["reason"] == "received_by_required"
    done = _step(shop, delivery_id, "deliver", received_by="王建国本人")
    assert done.status_code == 200
    body = shop.client.get(f"/api/deliveries/{delivery_id}", headers=shop.login(PATIENT)).get_json()
    assert [e["status"] for e in body["events"]] == ["created", "packed", "picked_up", "in_transit", "delivered"]
    assert all(e["at"] for e in body["events"]) and body["received_by"] == "王建国本人"
    order = shop.client.get(f"/api/orders/{order['id']}", headers=shop.login(PATIENT)).get_json()
    assert order["status"] == "delivered"
    assert [s["status"] for s in order["timeline"]][-1] == "delivery_delivered"
    illegal = _step(shop, delivery_id, "fail", reason="late")
    assert illegal.status_code == 409 and illegal.get_json()["reason"] == "illegal_transition"
    assert shop.client.get(f"/api/deliveries/{delivery_id}", headers=shop.login("13800000002")).status_code == 404
    assert shop.client.get(f"/api/deliveries/{delivery_id}", headers=shop.login("disp02")).status_code == 404


def test_cold_chain_needs_a_cold_chain_courier_and_shows_on_the_label(shop):
    order = _paid(shop, lines=(INS,))
    delivery_id = _dispense(shop, order["id"]).get_json()["delivery"]["id"]
    refused = shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(False)}, headers=shop.login("disp01")
    )
    assert refused.status_code == 422 and refused.get_json()["reason"] == "cold_chain_courier_required"
    ok = shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(True)}, headers=shop.login("disp01")
    )
    assert ok.status_code == 200 and ok.get_json()["cold_chain"] is True
    from tests.conftest import page_login

    page_login(shop.client, "disp01")
    label = shop.client.get(f"/pharmacy/orders/{order['id']}/label")
    assert label.status_code == 200 and "cold-chain-flag" in label.get_data(as_text=True)


def test_failed_delivery_is_returned_refunded_and_restocked(shop):
    order = _paid(shop, voucher=True)
    before_dispense = shop.level("AML5")
    delivery_id = _dispense(shop, order["id"]).get_json()["delivery"]["id"]
    hub = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()
    shelf = db.session.execute(
        db.select(db.func.sum(StockBatch.quantity)).filter_by(pharmacy_id=hub, drug_code="AML5")
    ).scalar()
    shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(False)}, headers=shop.login("disp01")
    )
    for action in ("pack", "pick-up", "in-transit"):
        assert _step(shop, delivery_id, action).status_code == 200
    assert _step(shop, delivery_id, "fail").get_json()["reason"] == "reason_required"
    assert _step(shop, delivery_id, "fail", reason="无人签收，电话未接").status_code == 200
    returned = _step(shop, delivery_id, "return")
    assert returned.status_code == 200, returned.get_json()
    final = shop.client.get(f"/api/orders/{order['id']}", headers=shop.login(PATIENT)).get_json()
    assert final["status"] == "refunded" and final["refunded_at"]
    assert shop.level("AML5") == before_dispense + 2
    db.session.expire_all()
    shelf_after = db.session.execute(
        db.select(db.func.sum(StockBatch.quantity)).filter_by(pharmacy_id=hub, drug_code="AML5")
    ).scalar()
    assert shelf_after == shelf + 2
    assert shop.rx.status_of(order["prescription_id"]) == "refunded"
    from insurance.settlement import settlement_for

    assert settlement_for(order["ref"]).status == "reversed"
    kinds = [m.kind for m in db.session.execute(db.select(StockMovement).filter_by(order_id=order["id"])).scalars()]
    assert kinds.count("restock") >= 1 and "dispense" in kinds and "reserve" in kinds


def test_transition_table_is_the_only_writer():
    from pathlib import Path

    from core.config import ROOT

    for path in Path(ROOT / "pharmacy").glob("*.py"):
        text = path.read_text()
        hits = [ln for ln in text.splitlines() if ".status = " in ln]
        assert all("move_to" in path.name or "def move_to" in text for _ in hits), path
