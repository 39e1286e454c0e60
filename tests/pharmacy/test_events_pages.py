"""Socket.IO rooms for orders (who may join, live events) and the pharmacy pages."""

from __future__ import annotations

from tests.conftest import csrf_of, page_login
from tests.pharmacy.conftest import AML, INS

PATIENT = "13800000001"


def test_order_room_admits_only_the_patient_and_the_pharmacy(shop):
    from core.rooms import may_join

    pid = shop.rx.add(shop.user(PATIENT).id)
    order = shop.pay(PATIENT, pid).get_json()
    room = f"order:{order['id']}"
    for username, allowed in (
        (PATIENT, True),
        ("13800000002", False),
        ("pharm01", True),
        ("disp01", True),
        ("pharm03", False),
        ("doc01", False),
    ):
        assert may_join(shop.user(username), room) is allowed, username
    assert may_join(shop.user("pharm01"), "pharmacy:1") and not may_join(shop.user("pharm03"), "pharmacy:1")
    assert not may_join(shop.user(PATIENT), "order:999999") and not may_join(shop.user(PATIENT), "order:x")


def test_patient_is_notified_of_every_step_in_order(shop, monkeypatch):
    from core import notify

    pid = shop.rx.add(shop.user(PATIENT).id)  # (the prescription's own notifications come before)
    sent, pushed = [], []
    real_push = notify.push  # every stored notification is pushed (a payment's is stored with the order)
    monkeypatch.setattr(notify, "push", lambda row: (sent.append((row.user_id, row.event)), real_push(row))[1])
    real_broadcast = notify.broadcast  # both spied on, both still delivering
    monkeypatch.setattr(
        notify, "broadcast", lambda room, ev, p, skip_sid=None: (pushed.append((room, ev)), real_broadcast(room, ev, p))
    )
    order = shop.pay(PATIENT, pid).get_json()
    did = shop.client.post(f"/api/orders/{order['id']}/dispense", headers=shop.login("pharm01")).get_json()["delivery"][
        "id"
    ]
    for action in ("pack",):
        shop.client.post(f"/api/deliveries/{did}/{action}", json={}, headers=shop.login("disp01"))
    patient_id = shop.user(PATIENT).id
    assert [ev for uid, ev in sent if uid == patient_id] == ["order.paid", "order.dispensed", "delivery.packed"]
    assert (f"order:{order['id']}", "delivery.packed") in pushed and ("pharmacy:1", "order.paid") in pushed


def test_patient_pages(shop):
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(AML, INS))
    order = shop.pay(PATIENT, pid).get_json()
    page_login(shop.client, PATIENT)
    listing = shop.client.get("/orders").get_data(as_text=True)
    assert order["ref"][-8:] in listing  # the patient sees the short order number
    detail = shop.client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "timeline" in detail and "冷链" in detail, detail[detail.find("<main") :][:1500]
    other = shop.rx.add(shop.user(PATIENT).id)
    pay_page = shop.client.get(f"/orders/new?prescription={other}")
    assert pay_page.status_code == 200 and "医保电子凭证" in pay_page.get_data(as_text=True)
    assert shop.client.get("/orders/new?prescription=1").status_code in (404, 409)  # not payable, said in words
    assert shop.client.get("/pharmacy").status_code == 403
    home = shop.client.get("/").get_data(as_text=True)
    assert f'href="/orders/{order["id"]}"' in home and "还没有订单" not in home  # the home lists his order


def test_pharmacy_desk_dispenses_and_adjusts(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    order = shop.pay(PATIENT, pid).get_json()
    page_login(shop.client, "pharm01")
    desk = shop.client.get("/pharmacy").get_data(as_text=True)
    assert order["ref"] in desk and "库存不足" in desk and "即将过期" in desk and "已过期批次" in desk
    token = csrf_of(desk)
    done = shop.client.post("/pharmacy", data={"csrf_token": token, "action": "dispense", "order_id": order["id"]})
    assert done.status_code == 302
    bad = shop.client.post(
        "/pharmacy",
        data={
            "csrf_token": token,
            "action": "adjust",
            "drug_code": "AML5",
            "batch_no": "NEW-1",
            "delta": "20",
            "reason": "",
        },
    )
    assert bad.status_code == 422 and "说明库存变动的原因" in bad.get_data(as_text=True)
    ok = shop.client.post(
        "/pharmacy",
        data={
            "csrf_token": token,
            "action": "adjust",
            "drug_code": "AML5",
            "batch_no": "NEW-1",
            "delta": "20",
            "reason": "到货入库",
            "expiry": "2030-01-31",
        },
    )
    assert ok.status_code == 302
    assert "到货入库" in shop.client.get("/pharmacy").get_data(as_text=True)


def test_dispatch_board_moves_a_parcel(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    order = shop.pay(PATIENT, pid).get_json()
    delivery_id = shop.client.post(f"/api/orders/{order['id']}/dispense", headers=shop.login("pharm01")).get_json()[
        "delivery"
    ]["id"]
    page_login(shop.client, "disp01")
    board = shop.client.get("/dispatch").get_data(as_text=True)
    assert order["ref"] in board
    moved = shop.client.post(
        "/dispatch", data={"csrf_token": csrf_of(board), "action": "pack", "delivery_id": delivery_id}
    )
    assert moved.status_code == 302
    assert shop.client.get(f"/api/deliveries/{delivery_id}").get_json()["status"] == "packed"


def test_stock_api_flags_and_log(shop):
    rows = shop.client.get("/api/pharmacy/stock?flagged=true", headers=shop.login("pharm01")).get_json()
    flags = {r["drug_code"]: r for r in rows}
    assert flags["ATO20"]["low"] and flags["MF500"]["near_expiry"] and flags["ASA100"]["expired"]
    response = shop.client.post(
        "/api/pharmacy/stock/adjust",
        headers=shop.login("pharm01"),
        json={"drug_code": "AML5", "batch_no": "X-1", "delta": -5, "reason": "破损"},
    )
    assert response.status_code == 404  # no such batch
    first = shop.client.get("/api/pharmacy/stock?q=AML5", headers=shop.login("pharm01")).get_json()[0]
    batch = first["batches"][0]["batch_no"]
    response = shop.client.post(
        "/api/pharmacy/stock/adjust",
        headers=shop.login("pharm01"),
        json={"drug_code": "AML5", "batch_no": batch, "delta": -3, "reason": "破损 broken"},
    )
    assert response.status_code == 200 and response.get_json()["available"] == first["available"] - 3
    log = shop.client.get("/api/pharmacy/stock/movements", headers=shop.login("pharm01")).get_json()
    assert log[0]["reason"] == "破损 broken" and log[0]["delta"] == -3 and log[0]["actor_id"]
    assert shop.client.get("/api/pharmacy/stock", headers=shop.login(PATIENT)).status_code == 403
    assert (
        shop.client.post(
            "/api/pharmacy/stock/adjust",
            headers=shop.login("disp01"),
            json={"drug_code": "AML5", "batch_no": batch, "delta": 1, "reason": "x"},
        ).status_code
        == 403
    )


def test_every_demo_pharmacy_has_a_pharmacist_and_a_dispatcher(shop):
    from core.extensions import db
    from core.models import User
    from pharmacy.models import Pharmacy, PharmacyStaff

    for pharmacy in db.session.execute(db.select(Pharmacy)).scalars():
        roles = db.session.execute(
            db.select(User.role)
            .join(PharmacyStaff, PharmacyStaff.user_id == User.id)
            .filter_by(pharmacy_id=pharmacy.id)
        ).scalars()
        assert {"pharmacist", "dispatcher"} <= set(roles), pharmacy.code
