"""The patient's order list (issue #13): everything an order prints is loaded with the list, in a
fixed number of statements however many orders, lines and delivery steps there are, and each
entry is exactly the order's own answer."""

from __future__ import annotations

from sqlalchemy import event

from core.extensions import db
from tests.pharmacy.conftest import AML, MF
from tests.pharmacy.test_dispense_delivery import PATIENT, _courier, _dispense, _paid, _step


def _statements(shop, path: str, headers: dict) -> tuple[list[str], object]:
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer = shop.client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert answer.status_code == 200, answer.get_json()
    return seen, answer.get_json()


def test_the_order_list_prints_every_order_whole_in_a_fixed_number_of_statements(shop):
    patient = shop.login(PATIENT)
    delivered = _paid(shop)
    delivery_id = _dispense(shop, delivered["id"]).get_json()["delivery"]["id"]
    assert _step(shop, delivery_id, "pack").status_code == 200
    assign = shop.client.post(
        f"/api/deliveries/{delivery_id}/courier", json={"courier_id": _courier(False)}, headers=shop.login("disp01")
    )
    assert assign.status_code == 200
    assert _step(shop, delivery_id, "pick-up").status_code == 200
    _paid(shop, lines=(AML, MF))  # two lines, not dispensed: no delivery

    statements, listed = _statements(shop, "/api/orders", patient)

    # the orders with their pharmacy and delivery; their lines; the delivery steps; the audit entry
    assert len(statements) == 4, statements
    assert len(listed) >= 2
    for entry in listed:
        assert entry == shop.client.get(f"/api/orders/{entry['id']}", headers=patient).get_json()
    mine = {entry["id"]: entry for entry in listed}
    assert [s["status"] for s in mine[delivered["id"]]["timeline"]][-2:] == ["delivery_packed", "delivery_picked_up"]
    assert mine[delivered["id"]]["delivery"]["courier"]["id"] == _courier(False)
    assert any(len(entry["lines"]) == 2 and entry["delivery"] is None for entry in listed)

    # the pharmacy's dispatcher, by status as his desk asks: the same answers
    staff = shop.login("disp01")
    _seen, moving = _statements(shop, "/api/orders?status=dispensed,delivered", staff)
    assert delivered["id"] in {entry["id"] for entry in moving}
    assert {entry["status"] for entry in moving} <= {"dispensed", "delivered"}
    for entry in moving:
        assert entry == shop.client.get(f"/api/orders/{entry['id']}", headers=staff).get_json()


def test_another_patient_lists_none_of_these_orders(shop):
    order = _paid(shop)
    _statements_seen, listed = _statements(shop, "/api/orders", shop.login("13800000002"))
    assert order["id"] not in {entry["id"] for entry in listed}
    assert shop.client.get(f"/api/orders/{order['id']}", headers=shop.login("13800000002")).status_code == 404
