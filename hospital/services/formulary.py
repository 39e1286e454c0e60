"""The drug catalogue: search as you type (Chinese, generic name, pinyin initials) and look-ups."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import NotFound
from core.extensions import db
from hospital.models.formulary import AllergenGroup, Drug, DrugClass, DrugInteraction

MAX_RESULTS = 20


def search_text_for(drug: Drug) -> str:
    """Every name a doctor may type, lower-case, in one haystack."""
    pinyin = (drug.pinyin or "").lower()
    parts = [
        drug.code,
        drug.name_zh,
        drug.name_zh_full,
        drug.generic_en,
        pinyin,
        pinyin.replace(" ", ""),
        drug.pinyin_initials,
    ]
    return " | ".join(p.lower() for p in parts if p)


def _rank(drug: Drug, q: str) -> tuple:
    """Best first: initials or name starting with the query, then anywhere; then by name."""
    starts = drug.pinyin_initials.startswith(q) or drug.name_zh.startswith(q) or drug.generic_en.lower().startswith(q)
    return (0 if starts else 1, drug.special_control is not None, drug.name_zh, drug.code)


def search_drugs(q: str | None, limit: int = MAX_RESULTS) -> list[Drug]:
    """Drugs whose Chinese name, generic name, pinyin or pinyin initials contain `q`."""
    query = db.select(Drug).where(Drug.active.is_(True))
    q = (q or "").strip().lower()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Drug.search_text.like(f"%{escaped}%", escape="\\"))
    drugs = list(db.session.execute(query).scalars())
    return sorted(drugs, key=lambda d: _rank(d, q))[: max(1, min(limit, 50))]


def get_drug(code: str) -> Drug:
    drug = db.session.execute(db.select(Drug).filter_by(code=code)).scalar_one_or_none()
    if drug is None:
        raise NotFound("drug_not_found", _l("No such drug in the catalogue."), field="drug_code")
    return drug


def drugs_by_code(codes: list[str]) -> dict[str, Drug]:
    rows = db.session.execute(db.select(Drug).where(Drug.code.in_(codes))).scalars()
    return {d.code: d for d in rows}


def classes_by_code() -> dict[str, DrugClass]:
    return {c.code: c for c in db.session.execute(db.select(DrugClass)).scalars()}


def interactions() -> list[DrugInteraction]:
    return list(db.session.execute(db.select(DrugInteraction)).scalars())


def list_classes() -> list[DrugClass]:
    return list(db.session.execute(db.select(DrugClass).order_by(DrugClass.code)).scalars())


def list_allergen_groups() -> list[AllergenGroup]:
    """The catalogue's allergen groups, for choosing an allergy."""
    return list(db.session.execute(db.select(AllergenGroup).order_by(AllergenGroup.code)).scalars())


def allergen_group_codes() -> set[str]:
    return set(db.session.execute(db.select(AllergenGroup.code)).scalars())


def allergen_cross_sensitivity() -> dict[str, set[str]]:
    """For each group, the other groups that may cross-react with it (penicillin → cephalosporin)."""
    return {g.code: set(g.cross_sensitive or []) for g in list_allergen_groups()}
