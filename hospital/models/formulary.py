"""The formulary: drugs with their classes, allergen groups and known interactions."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db


class InsuranceClass:
    A = "A"  # fully covered (甲类)
    B = "B"  # covered after a self-paid share (乙类)
    C = "C"  # self-paid (丙类)


class SpecialControl:
    """Drugs that may never be prescribed online (DESIGN §3)."""

    NARCOTIC = "narcotic"
    PSYCHOTROPIC = "psychotropic"
    TOXIC = "toxic"
    RADIOACTIVE = "radioactive"


class DrugClass(db.Model):
    """A therapeutic class, for duplicate-therapy checks and class-level interactions."""

    __tablename__ = "drug_classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    antimicrobial: Mapped[bool] = mapped_column(Boolean, default=False)
    # ICD-10 codes or prefixes ("I10", "E11") for which the class is indicated: the indication check.
    indications: Mapped[list] = mapped_column(JSON, default=list)


class AllergenGroup(db.Model):
    """An allergen group of the catalogue, with the groups that cross-react with it."""

    __tablename__ = "allergen_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    cross_sensitive: Mapped[list] = mapped_column(JSON, default=list)  # other group codes
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")


class Drug(db.Model):
    """A catalogue entry: one strength and package of one medicine."""

    __tablename__ = "drugs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80), index=True)
    name_zh_full: Mapped[str] = mapped_column(String(120), default="")
    generic_en: Mapped[str] = mapped_column(String(160))
    pinyin: Mapped[str] = mapped_column(String(200), default="")
    pinyin_initials: Mapped[str] = mapped_column(String(40), default="", index=True)
    strength: Mapped[str] = mapped_column(String(80))
    form_zh: Mapped[str] = mapped_column(String(40), default="")
    form_en: Mapped[str] = mapped_column(String(60), default="")
    route: Mapped[str] = mapped_column(String(30), default="oral")
    package_desc: Mapped[str] = mapped_column(String(120), default="")
    package_unit_zh: Mapped[str] = mapped_column(String(10), default="盒")
    package_unit_en: Mapped[str] = mapped_column(String(20), default="box")
    dose_unit: Mapped[str] = mapped_column(String(16))
    # How much of dose_unit one package holds: quantity = ceil(dose × times/day × days ÷ this).
    units_per_package: Mapped[float] = mapped_column(Float)
    price_fen: Mapped[int] = mapped_column(Integer)  # per package
    insurance_class: Mapped[str] = mapped_column(String(1), default=InsuranceClass.A)
    max_daily_dose: Mapped[float | None] = mapped_column(Float)  # in dose_unit
    cold_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    special_control: Mapped[str | None] = mapped_column(String(16))
    antimicrobial: Mapped[bool] = mapped_column(Boolean, default=False)
    classes: Mapped[list] = mapped_column(JSON, default=list)
    ingredients: Mapped[list] = mapped_column(JSON, default=list)
    allergen_groups: Mapped[list] = mapped_column(JSON, default=list)
    default_frequency: Mapped[str] = mapped_column(String(8), default="qd")
    default_dose: Mapped[float | None] = mapped_column(Float)
    # Lower-case haystack of every searchable name (Chinese, English, pinyin, initials).
    search_text: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DrugInteraction(db.Model):
    """A known interaction between two ingredients or classes (either side may be a class)."""

    __tablename__ = "drug_interactions"
    __table_args__ = (UniqueConstraint("a_kind", "a", "b_kind", "b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    a_kind: Mapped[str] = mapped_column(String(12))  # ingredient / class
    a: Mapped[str] = mapped_column(String(60))
    b_kind: Mapped[str] = mapped_column(String(12))
    b: Mapped[str] = mapped_column(String(60))
    # moderate / major (a warning the doctor may override) / contraindicated (refused, no override)
    severity: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text, default="")  # where the grade comes from (label, guideline)
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")
