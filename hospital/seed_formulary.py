"""Load the drug catalogue (hospital/data/formulary.json) into the database; idempotent by code."""

from __future__ import annotations

import json
from pathlib import Path

from core.extensions import db
from hospital.models.formulary import AllergenGroup, Drug, DrugClass, DrugInteraction
from hospital.services.formulary import search_text_for

DATA = Path(__file__).resolve().parent / "data" / "formulary.json"

_DRUG_FIELDS = [
    "name_zh",
    "name_zh_full",
    "generic_en",
    "pinyin",
    "pinyin_initials",
    "strength",
    "form_zh",
    "form_en",
    "route",
    "package_desc",
    "package_unit_zh",
    "package_unit_en",
    "dose_unit",
    "price_fen",
    "insurance_class",
    "max_daily_dose",
    "cold_chain",
    "special_control",
    "antimicrobial",
    "classes",
    "ingredients",
    "allergen_groups",
    "default_frequency",
    "default_dose",
]


def _upsert(model, lookup: dict, values: dict):
    row = db.session.execute(db.select(model).filter_by(**lookup)).scalar_one_or_none()
    if row is None:
        row = model(**lookup)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    return row


def load_formulary(path: Path = DATA) -> int:
    """Insert or update every class, allergen group, drug and interaction of the file; returns the drug count."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for item in data["drug_classes"]:
        values = {k: item[k] for k in ("name_zh", "name_en", "antimicrobial")}
        _upsert(DrugClass, {"code": item["code"]}, {**values, "indications": item.get("indications", [])})
    for item in data.get("allergen_groups", []):
        values = {k: item.get(k, "") for k in ("name_zh", "name_en", "note_zh", "note_en")}
        _upsert(AllergenGroup, {"code": item["code"]}, {**values, "cross_sensitive": item.get("cross_sensitive", [])})
    for item in data["drugs"]:
        values = {name: item.get(name) for name in _DRUG_FIELDS}
        values["units_per_package"] = item["units_per_package_in_dose_unit"]
        drug = _upsert(Drug, {"code": item["code"]}, values)
        drug.search_text = search_text_for(drug)
    for item in data["interactions"]:
        lookup = {k: item[k] for k in ("a_kind", "a", "b_kind", "b")}
        values = {k: item[k] for k in ("severity", "note_zh", "note_en")}
        _upsert(DrugInteraction, lookup, {**values, "source": item.get("source", "")})
    db.session.commit()
    return len(data["drugs"])


def seed_formulary(context: dict) -> None:
    """Demo seeder: the catalogue."""
    context["formulary_drugs"] = load_formulary()
