"""Chronic patients who each take an approved, dispensed prescription of amlodipine for their
stable hypertension (diagnosed in person at the provincial hospital): the people a shift of
renewals is made of. Written with the demo seeders' own helpers, on a copy of the demo data."""

from __future__ import annotations

from datetime import date

from core import accounts
from core.extensions import db
from hospital import seed, seed_clinical
from hospital.models.network import Doctor
from tests.conftest import DEMO_PASSWORD

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏"


def phone_of(index: int) -> str:
    return f"1390000{index:04d}"


def renewable_patient(index: int, stable: bool = True) -> int:
    """One patient with a dispensed 28-day amlodipine prescription started 20 days ago; its id."""
    hub = seed._seed_hospitals()
    born = date(1950 + index % 20, 1 + index % 12, 1 + index % 27)
    id_number = seed.demo_id_number(born, index % 2, 10 + index)
    name = SURNAMES[index % len(SURNAMES)] + "复诊" + "一二三四五六七八九十"[index % 10]
    user = accounts.register_patient(name, id_number, phone_of(index), DEMO_PASSWORD)
    seed._seed_visit(user, hub, "原发性高血压", "I10", 3, stable)
    doctor_user = accounts.get_by_username(seed_clinical.DOCTOR)
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=doctor_user.id)).scalar_one()
    pharmacist = accounts.get_by_username(seed_clinical.PHARMACIST)
    lines = [("AML5", 5, "qd", 28)]
    seed_clinical._prescription(f"RXSHIFT{index:04d}", 20, "I10", lines, user, doctor, pharmacist)
    db.session.commit()
    return user.id
