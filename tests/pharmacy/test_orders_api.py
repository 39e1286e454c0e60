"""Paying for a prescription: the split, one outcome for stock and money, access."""

from __future__ import annotations

from pharmacy.models import Order
from tests.pharmacy.conftest import AML, INS, MF, PRICE_FEN

PATIENT, OTHER = "13800000001", "13800000002"


def test_quote_shows_split_and_delivery_fee(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(AML, MF))
    response = shop.client.post(
        "/api/orders/quote", json={"prescription_id": pid, "voucher_token": shop.voucher()}, headers=shop.login(PATIENT)
    )
    assert response.status_code == 200, response.get_json()
    quote = response.get_json()
    drugs = 2 * PRICE_FEN["AML5"] + PRICE_FEN["MF500"]  # 2 boxes of amlodipine, 1 of metformin
    assert quote["drug_total_fen"] == drugs and quote["delivery_fee_fen"] == 800
    assert quote["total_fen"] == drugs + 800
    assert quote["fund_pay_fen"] + quote["acct_pay_fen"] + quote["cash_pay_fen"] == drugs + 800
    assert quote["fund_pay_fen"] > 0  # class A drugs for an insured person with the deductible met


def test_pay_with_voucher_settles_reserves_and_marks_paid(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id)
    before = shop.level("AML5")
    response = shop.pay(PATIENT, pid, shop.voucher())
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["status"] == "paid" and order["pay_method"] == "voucher" and order["setl_id"]
    assert order["fund_pay_fen"] + order["acct_pay_fen"] + order["cash_pay_fen"] == order["total_fen"] == 1400
    assert shop.level("AML5") == before - 2
    assert len(shop.charges(order["ref"])) == 1
    assert shop.rx.status_of(pid) == "paid"
    assert [s["status"] for s in order["timeline"]] == ["created", "paid"]


def test_self_pay_is_all_cash(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    order = shop.pay(PATIENT, pid).get_json()
    assert order["status"] == "paid" and order["pay_method"] == "self"
    assert order["cash_pay_fen"] == order["total_fen"] and order["fund_pay_fen"] == 0


def test_out_of_stock_charges_nothing(shop):
    shop.enroll()
    shop.set_stock("AML5", 1)
    pid = shop.rx.add(shop.user(PATIENT).id)
    response = shop.pay(PATIENT, pid, shop.voucher())
    assert response.status_code == 409
    assert response.get_json()["reason"] == "out_of_stock"
    assert "氨氯地平" in response.get_json()["message"]
    assert shop.level("AML5") == 1
    from core.extensions import db

    assert db.session.execute(db.select(Order).filter_by(prescription_id=pid)).first() is None
    assert shop.rx.status_of(pid) == "approved"


def test_settlement_refused_releases_the_reservation(shop):
    shop.enroll()
    pid = shop.rx.add(shop.user(PATIENT).id)
    before = shop.level("AML5")
    response = shop.pay(PATIENT, pid, "ec1.forged.token")
    assert response.status_code in (403, 422), response.get_json()
    assert shop.level("AML5") == before
    from core.extensions import db

    # The voucher is refused when the payer is identified, before the order is written.
    assert db.session.execute(db.select(Order).filter_by(prescription_id=pid)).first() is None
    retry = shop.pay(PATIENT, pid, shop.voucher())  # a new attempt with a good voucher works
    assert retry.status_code == 201, retry.get_json()


def test_second_order_for_the_same_prescription_is_refused(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    assert shop.pay(PATIENT, pid).status_code == 201
    response = shop.pay(PATIENT, pid)  # a new key: not a replay, a second order
    assert response.status_code == 409 and response.get_json()["reason"] == "not_payable"


def test_two_orders_racing_for_one_prescription_make_one(shop):
    import threading

    pid = shop.rx.add(shop.user(PATIENT).id)
    shop.login(PATIENT)
    barrier, codes = threading.Barrier(6), []

    def pay_once():
        with shop.app.app_context():
            barrier.wait()  # both pass the "approved" check; the database lets one order through
            codes.append(shop.pay(PATIENT, pid).get_json().get("reason", "paid"))

    threads = [threading.Thread(target=pay_once) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert codes.count("paid") == 1 and set(codes) - {"paid"} <= {"already_ordered", "not_payable"}, codes
    from core.extensions import db

    db.session.expire_all()
    orders = db.session.execute(db.select(Order).filter_by(prescription_id=pid)).scalars().all()
    assert [o.status for o in orders] == ["paid"] and len(shop.charges(orders[0].ref)) == 1


def test_address_is_validated(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    bad = {
        "recipient": "王建国",
        "mobile": "1380000",
        "province": "福建省",
        "city": "福州市",
        "district": "鼓楼区",
        "detail": "东街134号",
    }
    response = shop.pay(PATIENT, pid, address=bad)
    assert response.status_code == 422
    body = response.get_json()
    assert body["reason"] == "invalid_mobile" and "mobile" in body["errors"]["json"]
    bad["mobile"], bad["detail"] = "13800000001", "x"
    assert shop.pay(PATIENT, pid, address=bad).get_json()["reason"] == "invalid_detail"


def test_unpayable_and_foreign_prescriptions(shop):
    pid = shop.rx.add(shop.user(OTHER).id, approve=False)  # signed, not yet approved by a pharmacist
    assert shop.pay(PATIENT, pid).status_code == 404
    assert shop.pay(OTHER, pid).get_json()["reason"] == "not_payable"


def test_nobody_else_sees_an_order(shop):
    pid = shop.rx.add(shop.user(PATIENT).id, lines=(INS,))
    order = shop.pay(PATIENT, pid).get_json()
    assert order["cold_chain"] is True and order["delivery_fee_fen"] == 1500
    url = f"/api/orders/{order['id']}"
    assert shop.client.get(url, headers=shop.login(PATIENT)).status_code == 200
    assert shop.client.get(url, headers=shop.login(OTHER)).status_code == 404
    assert shop.client.get(url, headers=shop.login("pharm01")).status_code == 200
    assert shop.client.get(url, headers=shop.login("pharm03")).status_code == 404  # another pharmacy
    assert shop.client.get(url, headers=shop.login("doc01")).status_code == 404
    assert [o["id"] for o in shop.client.get("/api/orders", headers=shop.login(OTHER)).get_json()] == []
    assert order["id"] in [o["id"] for o in shop.client.get("/api/orders", headers=shop.login("pharm01")).get_json()]
    assert shop.client.get("/api/orders", headers=shop.login("pharm03")).get_json() == []


def test_patient_only_pays_for_himself(shop):
    pid = shop.rx.add(shop.user(PATIENT).id)
    assert shop.pay("pharm01", pid).status_code == 403
    assert shop.client.post("/api/orders", json={}).status_code == 401


def test_reads_are_audited(shop):
    from core.audit import entries_for_patient

    pid = shop.rx.add(shop.user(PATIENT).id)
    order = shop.pay(PATIENT, pid).get_json()
    shop.client.get(f"/api/orders/{order['id']}", headers=shop.login("pharm01"))
    entries = entries_for_patient(shop.user(PATIENT).id)
    assert any(
        e.object_type == "order" and e.action == "read" and e.actor_id == shop.user("pharm01").id for e in entries
    )


def test_orders_in_openapi(shop):
    spec = shop.client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/orders"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    for path in ("/api/deliveries/{delivery_id}", "/api/orders/{order_id}/dispense", "/api/pharmacy/stock"):
        assert path in spec["paths"]
