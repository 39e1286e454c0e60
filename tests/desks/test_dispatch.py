"""The dispatcher's board: columns per state, filters, several parcels to a courier at once."""

from __future__ import annotations

from core.extensions import socketio
from tests.conftest import page_login
from tests.desks.conftest import PATIENT
from tests.pharmacy.conftest import INS


def _couriers(shop) -> dict[str, dict]:
    rows = shop.client.get("/api/couriers", headers=shop.login("disp01")).get_json()
    return {"plain": next(c for c in rows if not c["cold_chain"]), "cold": next(c for c in rows if c["cold_chain"])}


def test_several_parcels_go_to_one_courier_at_once(shop, dispensed):
    ids = dispensed(2)
    courier = _couriers(shop)["plain"]
    answer = shop.client.post(
        "/api/deliveries/courier", headers=shop.login("disp01"), json={"delivery_ids": ids, "courier_id": courier["id"]}
    )
    assert answer.status_code == 200, answer.get_json()
    assert {d["id"] for d in answer.get_json()} == set(ids)
    assert all(d["courier"]["id"] == courier["id"] and d["order_ref"] for d in answer.get_json())


def test_bulk_assignment_is_all_or_nothing(shop, dispensed):
    plain = dispensed(1)
    cold = dispensed(1, lines=(INS,))
    couriers = _couriers(shop)
    answer = shop.client.post(
        "/api/deliveries/courier",
        headers=shop.login("disp01"),
        json={"delivery_ids": plain + cold, "courier_id": couriers["plain"]["id"]},
    )
    assert answer.status_code == 422 and answer.get_json()["reason"] == "cold_chain_courier_required"
    board = shop.client.get("/api/deliveries/board", headers=shop.login("disp01")).get_json()
    assert all(d["courier"] is None for d in board if d["id"] in plain + cold)
    empty = shop.client.post(
        "/api/deliveries/courier", headers=shop.login("disp01"), json={"delivery_ids": [], "courier_id": 1}
    )
    assert empty.status_code == 422 and "delivery_ids" in empty.get_json()["errors"]["json"]


def test_another_pharmacy_cannot_assign_or_see_our_parcels(shop, dispensed):
    ids = dispensed(1)
    other = shop.client.post(
        "/api/deliveries/courier", headers=shop.login("disp02"), json={"delivery_ids": ids, "courier_id": 1}
    )
    assert other.status_code == 404
    assert ids[0] not in {
        d["id"] for d in shop.client.get("/api/deliveries/board", headers=shop.login("disp02")).get_json()
    }
    assert shop.client.get("/api/deliveries/board", headers=shop.login(PATIENT)).status_code == 403


def test_board_filters_and_columns(shop, dispensed):
    plain = dispensed(1)
    cold = dispensed(1, lines=(INS,))
    headers = shop.login("disp01")
    only_cold = shop.client.get("/api/deliveries/board?cold_chain=true", headers=headers).get_json()
    assert cold[0] in {d["id"] for d in only_cold} and plain[0] not in {d["id"] for d in only_cold}
    ref = next(d["order_ref"] for d in only_cold if d["id"] == cold[0])
    assert [d["id"] for d in shop.client.get(f"/api/deliveries/board?q={ref}", headers=headers).get_json()] == cold
    shop.client.post(f"/api/deliveries/{plain[0]}/pack", headers=headers, json={})
    page_login(shop.client, "disp01")
    html = shop.client.get("/dispatch/board").get_data(as_text=True)
    packed = html.split('id="col-packed"')[1].split("</section>")[0]
    assert f'id="delivery-{plain[0]}"' in packed
    assert 'id="col-failed"' in html and "配送失败" in html
    # "Delivered" and "failed" are never side by side: failing is a step of its own that asks first.
    shop.client.post(
        f"/api/deliveries/{plain[0]}/courier", headers=headers, json={"courier_id": _couriers(shop)["plain"]["id"]}
    )
    for step in ("pick-up", "in-transit"):
        shop.client.post(f"/api/deliveries/{plain[0]}/{step}", headers=headers, json={})
    card = (
        shop.client.get("/dispatch/board")
        .get_data(as_text=True)
        .split(f'id="delivery-{plain[0]}"')[1]
        .split("</li>")[0]
    )
    assert (
        card.index(f'id="step-deliver-{plain[0]}"') < card.index("<details") < card.index(f'id="step-fail-{plain[0]}"')
    )


def test_board_and_bulk_assignment_are_in_the_openapi(shop):
    paths = shop.client.get("/api/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/deliveries/board"] and "post" in paths["/api/deliveries/courier"]


def test_the_pharmacy_room_hears_each_parcel_of_a_bulk_assignment(shop, dispensed):
    ids = dispensed(2)
    token = shop.login("disp01")["Authorization"].split()[1]
    board = socketio.test_client(shop.app, auth={"token": token})
    assert board.is_connected()
    assert board.emit("join", {"room": "pharmacy:1"}, callback=True)["ok"]
    board.get_received()
    courier = _couriers(shop)["plain"]
    shop.client.post(
        "/api/deliveries/courier", headers=shop.login("disp01"), json={"delivery_ids": ids, "courier_id": courier["id"]}
    )
    heard = [e for e in board.get_received() if e["name"] == "delivery.assigned"]
    assert len(heard) == 2
    board.disconnect()
