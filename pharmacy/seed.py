"""Demo pharmacies (the provincial hospital's and two more), staff, couriers and stock with
batches and expiry dates — including a low, a near-expiry and an expired batch so the flags show.
Idempotent: rows are found by key and stock is only added to drugs that have none."""

from __future__ import annotations

import json
from datetime import timedelta

from core import accounts, clock
from core.config import ROOT
from core.extensions import db
from hospital.models.network import Hospital
from pharmacy.models import Courier, Pharmacy, PharmacyStaff, StockBatch, StockLevel, StockMovement

PHARMACIES = [
    # code, name_zh, name_en, hospital code (None: the provincial hub), city, address, phone
    (
        "PH001",
        "省立医院互联网药房",
        "Provincial Hospital Online Pharmacy",
        None,
        "福州",
        "福州市鼓楼区东街134号",
        "0591-87557768",
    ),
    (
        "PH002",
        "厦门市第一医院药房",
        "Xiamen First Hospital Pharmacy",
        "H35020000001",
        "厦门",
        "厦门市思明区镇海路55号",
        "0592-2137000",
    ),
    (
        "PH003",
        "泉州市第一医院药房",
        "Quanzhou First Hospital Pharmacy",
        "H35030000001",
        "泉州",
        "泉州市鲤城区东街250号",
        "0595-22277000",
    ),
]
STAFF = {
    "pharm01": "PH001",
    "pharm02": "PH001",
    "disp01": "PH001",
    "pharm03": "PH002",
    "disp02": "PH002",
    "pharm04": "PH003",
    "disp03": "PH003",
}
# Staff of the third pharmacy, created here (the network seed makes the others).
NEW_STAFF = {"pharm04": ("pharmacist", "洪药师"), "disp03": ("dispatcher", "配送员小陈")}
COURIERS = [
    ("顺丰 陈师傅", "13900000011", False),
    ("京东 黄师傅", "13900000012", False),
    ("冷链 林师傅", "13900000013", True),
]
# Demo flags on the hub: one drug low, one batch near expiry, one expired batch.
LOW, NEAR, EXPIRED = "ATO20", "MF500", "ASA100"


def _drug_codes() -> list[str]:
    """Codes of the catalogue's drugs that may be sold online (no special-control drugs)."""
    data = json.loads((ROOT / "hospital" / "data" / "formulary.json").read_text(encoding="utf-8"))
    return [d["code"] for d in data["drugs"] if not d.get("special_control")]


def _pharmacy(code, name_zh, name_en, hospital_code, city, address, phone, hub_id) -> Pharmacy:
    row = db.session.execute(db.select(Pharmacy).filter_by(code=code)).scalar_one_or_none()
    if row is None:
        hospital_id = hub_id
        if hospital_code:
            found = db.session.execute(db.select(Hospital.id).filter_by(code=hospital_code)).first()
            hospital_id = found[0] if found else None
        row = Pharmacy(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            hospital_id=hospital_id,
            city=city,
            address=address,
            phone=phone,
        )
        db.session.add(row)
        db.session.flush()
    return row


def _stock(pharmacy: Pharmacy, codes: list[str], scale: int) -> None:
    today = clock.today()
    have = {r[0] for r in db.session.execute(db.select(StockLevel.drug_code).filter_by(pharmacy_id=pharmacy.id))}
    for index, code in enumerate(codes):
        if code in have:
            continue
        batches = [
            (f"{code}-{today:%y}A{index:03d}", today + timedelta(days=200 + index % 60), 40 * scale),
            (f"{code}-{today:%y}B{index:03d}", today + timedelta(days=500 + index % 90), 60 * scale),
        ]
        if pharmacy.code == "PH001" and code == LOW:
            batches = [(f"{code}-{today:%y}L001", today + timedelta(days=300), 6)]
        if pharmacy.code == "PH001" and code == NEAR:
            batches[0] = (batches[0][0], today + timedelta(days=30), batches[0][2])
        if pharmacy.code == "PH001" and code == EXPIRED:
            batches.append((f"{code}-OLD001", today - timedelta(days=10), 5))
        usable = sum(q for _, expiry, q in batches if expiry >= today)
        db.session.add(StockLevel(pharmacy_id=pharmacy.id, drug_code=code, available=usable, low_threshold=10))
        for batch_no, expiry, quantity in batches:
            batch = StockBatch(
                pharmacy_id=pharmacy.id, drug_code=code, batch_no=batch_no, expiry=expiry, quantity=quantity
            )
            db.session.add(batch)
            db.session.flush()
            db.session.add(
                StockMovement(
                    pharmacy_id=pharmacy.id,
                    drug_code=code,
                    batch_id=batch.id,
                    kind="adjust",
                    delta=quantity,
                    reason="演示库存：到货入库",
                )
            )


def _couriers(pharmacy: Pharmacy) -> None:
    if db.session.execute(db.select(Courier.id).filter_by(pharmacy_id=pharmacy.id)).first():
        return
    for name, phone, cold in COURIERS:
        db.session.add(Courier(pharmacy_id=pharmacy.id, name=name, phone=phone, cold_chain=cold))


def _staff(codes: dict[str, Pharmacy], password: str) -> None:
    for username, (role, name) in NEW_STAFF.items():
        if accounts.get_by_username(username) is None:
            accounts.create_staff(username, role, name, password)
    for username, code in STAFF.items():
        user = accounts.get_by_username(username)
        if user is None or db.session.execute(db.select(PharmacyStaff.id).filter_by(user_id=user.id)).first():
            continue
        db.session.add(PharmacyStaff(user_id=user.id, pharmacy_id=codes[code].id))


def seed_pharmacy(context: dict) -> None:
    """Three pharmacies with staff, couriers and stock for every drug that may be sold online."""
    hub_id = context.get("provincial_hospital_id")
    pharmacies = {row[0]: _pharmacy(*row, hub_id=hub_id) for row in PHARMACIES}
    codes = _drug_codes()
    for scale, pharmacy in enumerate(pharmacies.values(), start=1):
        _stock(pharmacy, codes, 4 - scale)
        _couriers(pharmacy)
    _staff(pharmacies, context["password"])
    db.session.commit()
    context.setdefault("logins", []).append(("dispatcher", "disp02", "厦门市第一医院药房"))
