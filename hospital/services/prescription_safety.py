"""Safety rules checked as the doctor writes (DESIGN §3), on local data only.

Blocking findings refuse the prescription; warnings need the doctor's explicit override with a
reason. Every rule is a small function returning findings, so each has its own test.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import combinations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from hospital.models.formulary import Drug, DrugInteraction
from hospital.services import formulary

BLOCK = "block"
WARN = "warn"

MAX_ITEMS = 5
MAX_DAYS = 7
MAX_DAYS_ACUTE = 3
MAX_DAYS_LONG = 28
MAX_DAYS_LONG_STABLE = 84

# Administrations per day; used for the quantity and the daily dose.
FREQUENCIES: dict[str, float] = {
    "qd": 1,
    "bid": 2,
    "tid": 3,
    "qid": 4,
    "qn": 1,
    "q8h": 3,
    "q12h": 2,
    "qod": 0.5,
    "qw": 1 / 7,
    "q72h": 1 / 3,
    "prn": 1,
    "once": 0,
}
FREQUENCY_LABELS = {
    "qd": _l("once a day"),
    "bid": _l("twice a day"),
    "tid": _l("three times a day"),
    "qid": _l("four times a day"),
    "qn": _l("every night"),
    "q8h": _l("every 8 hours"),
    "q12h": _l("every 12 hours"),
    "qod": _l("every other day"),
    "qw": _l("once a week"),
    "q72h": _l("every 72 hours"),
    "prn": _l("when needed"),
    "once": _l("single dose"),
}


@dataclass(frozen=True)
class ItemInput:
    drug_code: str
    dose: float
    frequency: str
    days: int
    route: str | None = None
    instructions: str = ""


@dataclass(frozen=True)
class Context:
    """What the rules need to know of the patient and the case."""

    allergens: tuple[str, ...] = ()
    chronic: bool = True
    stable: bool = False
    acute: bool = False
    long_prescription: bool = False
    long_reason: str = ""


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    drugs: list[str] = field(default_factory=list)
    field: str = "items"

    def as_dict(self) -> dict:
        return asdict(self)


def quantity_for(drug: Drug, dose: float, frequency: str, days: int) -> int:
    """Packages: dose × administrations/day × days ÷ what one package holds, rounded up."""
    total = dose if frequency == "once" else dose * FREQUENCIES[frequency] * days
    return max(1, math.ceil(round(total / drug.units_per_package, 6)))


def _f(code: str, severity: str, message, drugs=(), /, *, field_name: str = "items", **params) -> Finding:
    text = str(message) % params if params else str(message)  # str() of a lazy msgid: the user's language
    return Finding(code, severity, text, list(drugs), field_name)


def check_count(items: list[ItemInput], _drugs, _ctx) -> list[Finding]:
    if len(items) > MAX_ITEMS:
        return [_f("too_many_items", BLOCK, _l("At most %(n)s drugs per prescription."), n=MAX_ITEMS)]
    if not items:
        return [_f("no_items", BLOCK, _l("Add at least one drug."))]
    return []


def check_special_control(items, drugs: dict[str, Drug], _ctx) -> list[Finding]:
    bad = [d for d in (drugs.get(i.drug_code) for i in items) if d is not None and d.special_control]
    return [
        _f(
            "special_control_drug",
            BLOCK,
            _l("%(drug)s is a special-control drug and cannot be prescribed online."),
            [d.code],
            drug=d.name_zh,
        )
        for d in bad
    ]


def check_days(items, drugs: dict[str, Drug], ctx: Context) -> list[Finding]:
    """≤ 7 days (3 acute); a long prescription with a reason: ≤ 28, ≤ 84 when stable; never antimicrobials."""
    findings: list[Finding] = []
    if ctx.long_prescription:
        if not ctx.long_reason.strip():
            findings.append(
                _f("long_reason_required", BLOCK, _l("A long prescription needs a reason."), field_name="long_reason")
            )
        if not ctx.chronic:
            findings.append(_f("long_not_chronic", BLOCK, _l("Only a chronic condition allows a long prescription.")))
        limit = MAX_DAYS_LONG_STABLE if ctx.stable else MAX_DAYS_LONG
        for item in items:
            drug = drugs.get(item.drug_code)
            if drug is not None and (drug.antimicrobial or drug.special_control):
                findings.append(
                    _f(
                        "long_not_allowed",
                        BLOCK,
                        _l("%(drug)s may not be on a long prescription."),
                        [drug.code],
                        drug=drug.name_zh,
                    )
                )
    else:
        limit = MAX_DAYS_ACUTE if ctx.acute else MAX_DAYS
    for item in items:
        if item.days < 1 or item.days > limit:
            findings.append(
                _f(
                    "too_many_days",
                    BLOCK,
                    _l("At most %(days)s days' supply for %(drug)s here."),
                    [item.drug_code],
                    days=limit,
                    drug=_name(drugs, item.drug_code),
                )
            )
    return findings


def _name(drugs: dict[str, Drug], code: str) -> str:
    return drugs[code].name_zh if code in drugs else code


def check_allergy(items, drugs: dict[str, Drug], ctx: Context) -> list[Finding]:
    allergens = {a.strip().lower() for a in ctx.allergens}
    findings = []
    for item in items:
        drug = drugs.get(item.drug_code)
        hit = sorted(allergens & {g.lower() for g in (drug.allergen_groups if drug else [])})
        if hit:
            findings.append(
                _f(
                    "allergy",
                    WARN,
                    _l("The patient is allergic to %(group)s; %(drug)s belongs to it."),
                    [drug.code],
                    group=", ".join(hit),
                    drug=drug.name_zh,
                )
            )
    return findings


def _keys(drug: Drug) -> set[tuple[str, str]]:
    return {("ingredient", i) for i in drug.ingredients} | {("class", c) for c in drug.classes}


def check_interactions(items, drugs: dict[str, Drug], _ctx, table: list[DrugInteraction] | None = None):
    """Every known pair among the items, by ingredient or class, either way round."""
    table = formulary.interactions() if table is None else table
    chosen = [drugs[i.drug_code] for i in items if i.drug_code in drugs]
    findings = []
    for first, second in combinations(chosen, 2):
        k1, k2 = _keys(first), _keys(second)
        for row in table:
            a, b = (row.a_kind, row.a), (row.b_kind, row.b)
            if (a in k1 and b in k2) or (a in k2 and b in k1):
                severity = BLOCK if row.severity == "contraindicated" else WARN
                note = row.note_en if _english() else row.note_zh
                findings.append(
                    _f(
                        "interaction",
                        severity,
                        _l("%(a)s + %(b)s (%(level)s): %(note)s"),
                        [first.code, second.code],
                        a=first.name_zh,
                        b=second.name_zh,
                        level=gettext(row.severity),
                        note=note,
                    )
                )
                break
    return findings


def _english() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "zh").startswith("en")


def check_duplicates(items, drugs: dict[str, Drug], _ctx) -> list[Finding]:
    """The same active ingredient or the same therapeutic class twice."""
    chosen = [drugs[i.drug_code] for i in items if i.drug_code in drugs]
    findings = []
    for first, second in combinations(chosen, 2):
        same = sorted(set(first.ingredients) & set(second.ingredients))
        kind = "ingredient"
        if not same:
            same, kind = sorted(set(first.classes) & set(second.classes)), "class"
        if same:
            label = _l("same active ingredient") if kind == "ingredient" else _l("same therapeutic class")
            findings.append(
                _f(
                    "duplicate_therapy",
                    WARN,
                    _l("Duplicate therapy: %(a)s and %(b)s (%(kind)s: %(what)s)."),
                    [first.code, second.code],
                    a=first.name_zh,
                    b=second.name_zh,
                    kind=str(label),
                    what=", ".join(same),
                )
            )
    return findings


def check_doses(items, drugs: dict[str, Drug], _ctx) -> list[Finding]:
    findings = []
    for item in items:
        drug = drugs.get(item.drug_code)
        if drug is None:
            continue
        if item.dose <= 0:
            findings.append(_f("invalid_dose", BLOCK, _l("Enter a dose above zero."), [drug.code]))
            continue
        daily = item.dose * max(FREQUENCIES[item.frequency], 1)
        if drug.max_daily_dose and daily > drug.max_daily_dose + 1e-9:
            findings.append(
                _f(
                    "dose_above_max",
                    WARN,
                    _l("%(drug)s: %(daily)s %(unit)s a day is above the maximum of %(max)s %(unit)s."),
                    [drug.code],
                    drug=drug.name_zh,
                    daily=f"{daily:g}",
                    unit=drug.dose_unit,
                    max=f"{drug.max_daily_dose:g}",
                )
            )
    return findings


RULES = [
    check_count,
    check_special_control,
    check_days,
    check_allergy,
    check_interactions,
    check_duplicates,
    check_doses,
]


def check_unknown(items, drugs: dict[str, Drug], _ctx) -> list[Finding]:
    findings = [
        _f("unknown_drug", BLOCK, _l("No such drug in the catalogue: %(code)s."), [i.drug_code], code=i.drug_code)
        for i in items
        if i.drug_code not in drugs
    ]
    findings += [
        _f("invalid_frequency", BLOCK, _l("Unknown frequency: %(code)s."), [i.drug_code], code=i.frequency)
        for i in items
        if i.frequency not in FREQUENCIES
    ]
    return findings


def run_checks(items: list[ItemInput], ctx: Context) -> list[Finding]:
    """All the rules on one prescription; blocking findings first."""
    drugs = formulary.drugs_by_code([i.drug_code for i in items])
    findings = check_unknown(items, drugs, ctx)
    if findings:
        return findings
    for rule in RULES:
        findings.extend(rule(items, drugs, ctx))
    return sorted(findings, key=lambda f: f.severity != BLOCK)


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == BLOCK]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == WARN]
