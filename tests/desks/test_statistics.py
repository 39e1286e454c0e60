"""The dashboard's figures, checked against rows this test creates on a day of their own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import clock
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.network import Doctor
from hospital.models.patients import ConfirmedDiagnosis
from hospital.models.prescriptions import Prescription
from hospital.models.rota import Shift
from hospital.services.statistics import percentile, spread
from pharmacy.models import Delivery, DeliveryEvent, Order, Pharmacy
from tests.conftest import DEMO_PASSWORD, page_login

DAY = date(2025, 3, 4)  # before any demo row


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=clock.local_tz())


def _user(username: str) -> User:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


@pytest.fixture
def day_rows(demo_app):
    """Consultations, shifts, prescriptions, orders and deliveries of DAY, with known figures."""
    patient = _user("13800000001")
    doctors = list(db.session.execute(db.select(Doctor).order_by(Doctor.id).limit(40)).scalars())
    first = doctors[0]
    second = next(d for d in doctors if d.department_id != first.department_id)
    diagnosis = ConfirmedDiagnosis(
        patient_id=patient.id,
        hospital_name="省立医院",
        diagnosis="原发性高血压",
        icd10="I10",
        diagnosed_on=date(2022, 1, 1),
    )
    db.session.add(diagnosis)
    db.session.flush()

    def consultation(doctor, created, waited=None):
        row = Consultation(
            patient_id=patient.id,
            department_id=doctor.department_id,
            diagnosis_id=diagnosis.id,
            created_at=created,
            accepted_at=created + timedelta(minutes=waited) if waited is not None else None,
            doctor_id=doctor.id if waited is not None else None,
        )
        db.session.add(row)
        return row

    c1 = consultation(first, at(9, 5), 4)
    consultation(first, at(9, 20), 10)
    consultation(first, at(10, 0), 30)
    consultation(second, at(10, 30))  # nobody took it
    for doctor, start, end in ((first, at(8), at(12)), (second, at(9, 30), at(10, 30))):
        db.session.add(
            Shift(
                doctor_id=doctor.id,
                department_id=doctor.department_id,
                day=DAY,
                kind="morning",
                starts_at=start,
                ends_at=end,
            )
        )
    db.session.flush()

    def prescription(n, review_minutes, status):
        signed = at(11, n)
        db.session.add(
            Prescription(
                code=f"STAT-{n}",
                consultation_id=c1.id,
                patient_id=patient.id,
                doctor_id=first.id,
                doctor_user_id=first.user_id,
                hospital_id=first.hospital_id,
                department_id=first.department_id,
                diagnosis_id=diagnosis.id,
                icd10="I10",
                diagnosis_name="原发性高血压",
                status=status,
                signed_at=signed,
                reviewed_at=signed + timedelta(minutes=review_minutes) if review_minutes else None,
            )
        )

    prescription(1, 6, "approved")
    prescription(2, 20, "rejected")
    prescription(3, None, "signed")
    pharmacy_id = db.session.execute(db.select(Pharmacy.id).filter_by(code="PH001")).scalar_one()

    def order(ref, status, total, fund, acct, cash):
        row = Order(
            ref=ref, patient_id=patient.id, pharmacy_id=pharmacy_id, prescription_id=0, pay_method="voucher",
            status=status, recipient="王建国", mobile="13800000001", province="福建省", city="福州市",
            district="鼓楼区", address_detail="东街134号", total_fen=total, fund_pay_fen=fund, acct_pay_fen=acct,
            cash_pay_fen=cash, created_at=at(11), paid_at=at(11, 1),
        )  # fmt: skip
        db.session.add(row)
        db.session.flush()
        return row

    delivered = order("STAT-O1", "delivered", 10_000, 6_000, 1_000, 3_000)
    failed = order("STAT-O2", "dispensed", 5_000, 2_000, 0, 3_000)
    order("STAT-O3", "refunded", 2_000, 1_000, 0, 1_000)
    for row, step, when in ((delivered, "delivered", at(12, 30)), (failed, "failed", at(13))):
        parcel = Delivery(order_id=row.id, pharmacy_id=pharmacy_id, status=step, created_at=at(11), updated_at=when)
        parcel.events.append(DeliveryEvent(status=step, at=when))
        db.session.add(parcel)
    db.session.commit()
    return {"first": first, "second": second}


def _figures(client, headers, **query):
    response = client.get("/api/statistics", query_string={"from": DAY.isoformat(), **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_figures_are_those_of_the_rows(demo_client, demo_users, day_rows):
    headers = _admin(demo_users)
    f = _figures(demo_client, headers)
    assert f["first"] == f["last"] == DAY.isoformat()
    by_department = {r["department_id"]: r["count"] for r in f["consultations_by_department"]}
    assert by_department == {day_rows["first"].department_id: 3, day_rows["second"].department_id: 1}
    assert f["consultations_by_department"][0]["hospital_zh"]
    assert (
        f["consultations_by_hour"][9] == 2
        and f["consultations_by_hour"][10] == 2
        and sum(f["consultations_by_hour"]) == 4
    )
    assert f["waiting_minutes"] == {"count": 3, "p50": 10.0, "p90": 30.0}  # nearest rank of 4, 10, 30
    duty = {p["at"][11:16]: (p["on_duty"], p["waiting"]) for p in f["duty_against_queue"]}
    assert len(duty) == 24
    assert duty["08:00"] == (1, 0) and duty["09:00"] == (1, 0) and duty["10:00"] == (2, 1) and duty["11:00"] == (1, 1)
    assert f["prescriptions"] == {
        "signed": 3,
        "reviewed": 2,
        "approved": 1,
        "rejected": 1,
        "waiting": 1,
        "review_minutes": {"count": 2, "p50": 6.0, "p90": 20.0},
    }
    orders = f["orders"]
    assert orders["placed"] == 3 and orders["settled"] == 2 and orders["refunded"] == 1
    assert (orders["total_fen"], orders["fund_fen"], orders["account_fen"], orders["cash_fen"]) == (
        15_000,
        8_000,
        1_000,
        6_000,
    )
    assert orders["fund_share"] == pytest.approx(8_000 / 15_000, abs=1e-4)
    assert f["delivery_minutes"] == {"count": 1, "p50": 90.0, "p90": 90.0, "failed": 1}


def _admin(users) -> dict:
    return users.login("admin", DEMO_PASSWORD)["headers"]


def test_a_period_adds_days_and_is_checked(demo_client, demo_users, day_rows):
    headers = _admin(demo_users)
    week = _figures(demo_client, headers, to=(DAY + timedelta(days=6)).isoformat())
    assert sum(week["consultations_by_hour"]) == 4 and len(week["duty_against_queue"]) == 7 * 24
    backwards = demo_client.get(f"/api/statistics?from={DAY}&to={DAY - timedelta(days=1)}", headers=headers)
    assert backwards.status_code == 422, backwards.get_json()
    assert backwards.get_json()["reason"] == "period_order" and "to" in str(backwards.get_json()["errors"])
    too_long = demo_client.get(f"/api/statistics?from={DAY}&to={DAY + timedelta(days=200)}", headers=headers)
    assert too_long.status_code == 422
    assert demo_client.get("/api/statistics?from=yesterday", headers=headers).status_code == 422
    assert (
        demo_client.get(
            "/api/statistics", headers=demo_users.login("13800000001", DEMO_PASSWORD)["headers"]
        ).status_code
        == 403
    )
    assert "/api/statistics" in demo_client.get("/api/openapi.json").get_json()["paths"]


def test_dashboard_page_and_csv(demo_client, day_rows):
    page_login(demo_client, "admin")
    html = demo_client.get(f"/admin/dashboard?from={DAY}&to={DAY}").get_data(as_text=True)
    assert "¥150.00" in html and "53.3%" in html and 'id="chart-duty"' in html
    csv = demo_client.get(f"/admin/dashboard.csv?from={DAY}&to={DAY}")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text = csv.get_data(as_text=True)
    assert (
        "orders,fund_fen,8000" in text
        and "waiting_minutes,p90,30.0" in text
        and "consultations_by_hour,09:00,2" in text
    )
    assert demo_client.get("/admin/dashboard?from=bad").status_code == 422
    home = demo_client.get("/").get_data(as_text=True)
    assert 'id="home-admin"' in home and "/admin/dashboard" in home


def test_percentiles_are_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([7.0], 90) == 7.0
    assert percentile([30.0, 4.0, 10.0], 50) == 10.0 and percentile([30.0, 4.0, 10.0], 90) == 30.0
    assert spread([1.0, 2.0, 3.0, 4.0]) == {"count": 4, "p50": 2.0, "p90": 4.0}
