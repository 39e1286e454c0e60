"""Medication reminders follow the active prescriptions: times of day from each item's frequency,
for as long as the supply lasts, then they stop; marks; 30-day adherence; the run-out reminder
leads to the renewal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from chronic import reminders
from core import clock
from core.extensions import db
from core.models import Notification
from hospital.models.patients import ConfirmedDiagnosis
from hospital.services import prescriptions
from hospital.services.prescription_safety import ItemInput
from tests.chronic.conftest import CARDIOLOGIST, OTHER_PATIENT, PATIENT, user
from tests.conftest import page_login

PATIENT2 = OTHER_PATIENT  # 李秀兰: no medicines of her own in the demo data


def _with_diabetes(username: str) -> None:
    """A confirmed type 2 diabetes: the indication for metformin beside the hypertension."""
    patient_id = user(username).id
    if db.session.execute(db.select(ConfirmedDiagnosis.id).filter_by(patient_id=patient_id, icd10="E11.9")).first():
        return
    db.session.add(
        ConfirmedDiagnosis(
            patient_id=patient_id,
            hospital_name="省立医院",
            diagnosis="2型糖尿病",
            icd10="E11.9",
            diagnosed_on=date(2021, 3, 10),
            chronic=True,
            stable=True,
        )
    )
    db.session.commit()


def _dispensed(care, lines) -> int:
    if any(line.drug_code == "MF500" for line in lines):
        _with_diabetes(PATIENT2)
    rx_id = care.prescription(PATIENT2, lines)
    prescriptions.mark_paid(rx_id, f"TEST-{rx_id}")
    prescriptions.mark_dispensed(rx_id)
    return rx_id


def _local(day, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=clock.local_tz())


def test_schedule_follows_the_prescriptions_and_stops_when_the_supply_ends(care):
    rx_id = _dispensed(care, [ItemInput("AML5", 5, "bid", 7), ItemInput("MF500", 500, "tid", 3)])
    patient = user(PATIENT2)
    today = clock.today()
    doses = [d for d in reminders.schedule(patient.id, today, today + timedelta(days=10)) if d.prescription_id == rx_id]
    by_drug: dict[str, list] = {}
    for dose in doses:
        by_drug.setdefault(dose.drug_code, []).append(clock.to_local(dose.scheduled_at))
    # Twice a day at 08:00 and 20:00 for the 7 days of supply; three times a day for 3 days.
    assert len(by_drug["AML5"]) == 14 and len(by_drug["MF500"]) == 9
    assert {t.strftime("%H:%M") for t in by_drug["AML5"]} == {"08:00", "20:00"}
    assert {t.strftime("%H:%M") for t in by_drug["MF500"]} == {"08:00", "13:00", "18:00"}
    assert max(t.date() for t in by_drug["AML5"]) == today + timedelta(days=6)
    assert max(t.date() for t in by_drug["MF500"]) == today + timedelta(days=2)
    # After the supply has ended there is nothing left to remind.
    with clock.frozen(_local(today + timedelta(days=8), "09:00")):
        assert [d for d in reminders.today_for(patient) if d.prescription_id == rx_id] == []


def test_marks_and_adherence_over_thirty_days(care):
    _dispensed(care, [ItemInput("AML5", 5, "bid", 7)])
    patient, today = user(PATIENT2), clock.today()
    with clock.frozen(_local(today, "08:30")):
        morning = _local(today, "08:00").isoformat()
        item_id = reminders.today_for(patient)[0].item_id
        taken = care.post(
            "/api/chronic/doses", PATIENT2, json={"item_id": item_id, "scheduled_at": morning, "status": "taken"}
        )
        assert taken.status_code == 200, taken.get_json()
        assert taken.get_json()["status"] == "taken"
        later = _local(today, "20:00").isoformat()
        early = care.post(
            "/api/chronic/doses", PATIENT2, json={"item_id": item_id, "scheduled_at": later, "status": "taken"}
        )
        assert early.status_code == 422 and "scheduled_at" in early.get_json()["errors"]["json"]
        odd = _local(today, "08:05").isoformat()
        wrong = care.post(
            "/api/chronic/doses", PATIENT2, json={"item_id": item_id, "scheduled_at": odd, "status": "taken"}
        )
        assert wrong.status_code == 422 and "item_id" in wrong.get_json()["errors"]["json"]
        bad = care.post(
            "/api/chronic/doses", PATIENT2, json={"item_id": item_id, "scheduled_at": morning, "status": "maybe"}
        )
        assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["json"]
        today_list = care.get("/api/chronic/doses/today", PATIENT2).get_json()
        assert [d["status"] for d in today_list] == ["taken", None]
    with clock.frozen(_local(today + timedelta(days=2), "21:00")):
        care.relogin()
        evening_before = _local(today + timedelta(days=1), "20:00").isoformat()
        care.post(
            "/api/chronic/doses",
            PATIENT2,
            json={"item_id": item_id, "scheduled_at": evening_before, "status": "skipped"},
        )
        me = user(PATIENT2).id
        adherence = care.get(f"/api/chronic/patients/{me}/adherence", PATIENT2).get_json()
        assert adherence["scheduled"] == 6 and adherence["taken"] == 1 and adherence["skipped"] == 1
        assert adherence["missed"] == 4 and adherence["percent"] == 17
        # His doctor sees the same figure.
        assert care.get(f"/api/chronic/patients/{me}/adherence", CARDIOLOGIST).get_json() == adherence
        assert care.get(f"/api/chronic/patients/{me}/adherence", PATIENT).status_code == 404


def test_run_out_reminder_leads_to_the_renewal(care):
    rx_id = _dispensed(care, [ItemInput("AML5", 5, "bid", 7)])
    patient = user(PATIENT2)
    with clock.frozen(_local(clock.today() + timedelta(days=3), "09:00")):
        assert rx_id in [m.prescription_id for m in reminders.run_out_reminders(patient.id)]
        page_login(care.client, PATIENT2)
        html = care.client.get("/health/medicines").get_data(as_text=True)
        assert f'href="/prescriptions/{rx_id}"' in html


def test_reminders_are_pushed_once_at_dose_time_and_stop_with_the_supply(care):
    rx_id = _dispensed(care, [ItemInput("AML5", 5, "bid", 7)])
    patient, today = user(PATIENT2), clock.today()

    def pushed(event: str) -> list:
        rows = db.session.execute(db.select(Notification).filter_by(user_id=patient.id, event=event)).scalars()
        return [n.payload for n in rows]

    at_eight = _local(today + timedelta(days=1), "08:05")
    assert reminders.send_due_reminders(at_eight) >= 1
    reminders.send_due_reminders(at_eight + timedelta(minutes=1))  # the next round (or process) sends nothing new
    doses = pushed("chronic.dose_due")
    assert len(doses) == 1 and doses[0]["scheduled_at"].endswith("08:00:00+08:00") and "AML" not in doses[0]["title"]
    # Near the end of the supply: the run-out reminder, once, leading to the renewal.
    near_end = _local(today + timedelta(days=4), "13:00")
    reminders.send_due_reminders(near_end)
    reminders.send_due_reminders(near_end + timedelta(minutes=5))
    assert [p["url"] for p in pushed("chronic.run_out")] == [f"/prescriptions/{rx_id}"]
    # After the supply ended: nothing more.
    before = len(pushed("chronic.dose_due"))
    reminders.send_due_reminders(_local(today + timedelta(days=9), "08:05"))
    assert len(pushed("chronic.dose_due")) == before
