"""What a paid order was made cheaper by (issue #13) stays so, and costs nothing it guards:
- the hospital's side of a paid order (e-voucher) is 16 statements and 3 commits (the insurer's
  own, in-process here, not counted): a regression shows here before it shows in the bench. The
  prescription is read once, with its items, as plain columns, and moved to paid from that read;
  the order's answer is stored by the commit that pays it;
- the pharmacies are read once per process, and a changed fee is charged at once, in this
  process and (over the message queue) in the others."""

from __future__ import annotations

import traceback

from sqlalchemy import event

from core import notify, rows
from core.extensions import db
from core.models import AuditEntry
from hospital.api import remembered
from hospital.models.prescriptions import Prescription
from pharmacy import pricing
from pharmacy.models import Order, Pharmacy

PATIENT = "13800000001"
HOSPITAL_STATEMENTS, HOSPITAL_COMMITS = 16, 3


def _the_insurers() -> bool:
    return any("/insurance/mock_insurer/" in frame.filename for frame in traceback.extract_stack())


class _Counted:
    """Statements and commits on the app's engine while `on`, the in-process insurer's aside."""

    def __init__(self, app):
        self.statements, self.commits, self.on = [], 0, False
        self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)

    def _statement(self, conn, cursor, sql, params, context, executemany):
        if self.on and not _the_insurers():
            self.statements.append(sql)

    def _commit(self, conn):
        if self.on and not _the_insurers():
            self.commits += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


def test_a_paid_order_costs_the_hospital_16_statements_and_3_commits(shop):
    shop.enroll()
    patient = shop.user(PATIENT).id
    warm, counted_rx = shop.rx.add(patient), shop.rx.add(patient)
    assert shop.pay(PATIENT, warm, shop.voucher()).status_code == 201  # sessions, pharmacies: known
    token = shop.voucher()
    counted = _Counted(shop.app)
    try:
        counted.on = True
        response = shop.pay(PATIENT, counted_rx, token)
        counted.on = False
    finally:
        counted.close()
    assert response.status_code == 201 and response.get_json()["status"] == "paid", response.get_json()
    assert len(counted.statements) <= HOSPITAL_STATEMENTS, counted.statements
    assert counted.commits <= HOSPITAL_COMMITS
    audits = [sql for sql in counted.statements if sql.lstrip().upper().startswith("INSERT INTO AUDIT_LOG")]
    assert len(audits) == 2  # the order's, then the settlement's and the prescription's in one
    reads = [sql for sql in counted.statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "prescription_items" in reads[0], reads  # with its items, once
    db.session.expire_all()
    order = db.session.get(Order, response.get_json()["id"])
    assert order.status == "paid" and order.paid_at is not None and order.live_prescription_id == counted_rx
    assert shop.rx.status_of(counted_rx) == "paid"
    rx = db.session.get(Prescription, counted_rx)
    assert rx.order_ref == order.ref and rx.paid_at is not None
    recorded = db.session.execute(
        db.select(AuditEntry.action, AuditEntry.object_type, AuditEntry.object_id).where(
            AuditEntry.patient_id == patient, AuditEntry.action != "read"
        )
    ).all()
    assert {("create", "order", str(order.id)), ("paid", "prescription", str(counted_rx))} <= set(recorded)
    assert any(action == "settle" and kind == "settlement" for action, kind, _ in recorded)


def test_a_paid_orders_direct_writes_touch_no_remembered_table(shop, monkeypatch):
    """A paid order writes its rows by `rows.write`, which no session event sees: none of them may
    be a table whose answers are remembered (hospital/api/remembered.py learns of bulk changes
    to those only through the session)."""
    written = []
    direct = rows.write

    def watched_write(statement, params=None, session=None):
        written.append(statement.table.name)
        return direct(statement, params, session)

    monkeypatch.setattr(rows, "write", watched_write)
    shop.enroll()
    response = shop.pay(PATIENT, shop.rx.add(shop.user(PATIENT).id), shop.voucher())
    assert response.status_code == 201, response.get_json()
    assert {"orders", "order_lines", "stock_levels", "ins_settlements"} <= set(written)
    assert not set(written) & remembered._watched, set(written) & remembered._watched


def test_a_changed_delivery_fee_is_charged_at_once(shop):
    patient = shop.user(PATIENT).id
    first, second = shop.rx.add(patient), shop.rx.add(patient)
    paid = shop.pay(PATIENT, first)
    assert paid.status_code == 201
    fee = paid.get_json()["delivery_fee_fen"]
    pharmacy = db.session.get(Pharmacy, paid.get_json()["pharmacy"]["id"])
    pharmacy.delivery_fee_fen = fee + 200  # the administrators' change, through the ORM
    db.session.commit()
    again = shop.pay(PATIENT, second)
    assert again.status_code == 201 and again.get_json()["delivery_fee_fen"] == fee + 200


def test_another_process_changed_fee_is_charged_once_its_word_arrives(shop):
    """Another process's change reaches this one as the word it sends over the message queue at
    commit (here: the row written outside this process's ORM, then the word delivered)."""
    patient = shop.user(PATIENT).id
    first, second = shop.rx.add(patient), shop.rx.add(patient)
    paid = shop.pay(PATIENT, first)
    fee, pharmacy_id = paid.get_json()["delivery_fee_fen"], paid.get_json()["pharmacy"]["id"]
    db.session.execute(db.update(Pharmacy).where(Pharmacy.id == pharmacy_id).values(delivery_fee_fen=fee + 300))
    db.session.commit()
    notify.tell_every_process(pricing._WORD, {})  # what the other process's commit sent
    again = shop.pay(PATIENT, second)
    assert again.status_code == 201 and again.get_json()["delivery_fee_fen"] == fee + 300
