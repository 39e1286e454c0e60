"""Safety rules checked as the doctor writes (DESIGN §3), on local data only.

The rules see the new prescription together with the patient's active medications (drugs of
earlier prescriptions still in supply): a finding that involves one of those names the earlier
prescription. Blocking findings refuse the prescription with no override (special-control drugs,
contraindicated combinations, a daily dose above twice the maximum, …); warnings need the doctor's
explicit override with a coded reason. Every rule is a small function returning findings, so each
has its own test.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from itertools import combinations

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from hospital.models.formulary import Drug, DrugInteraction
from hospital.services import formulary
from hospital.services.medications import ActiveMedication
from hospital.services.patients import allergen_label

BLOCK = "block"
WARN = "warn"

MAX_ITEMS = 5
MAX_DAYS = 7
MAX_DAYS_ACUTE = 3
MAX_DAYS_LONG = 28
MAX_DAYS_LONG_STABLE = 84
# A daily dose above the catalogue's maximum warns; above this many times the maximum it is refused.
DOSE_REFUSAL_FACTOR = 2

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
    # Drugs of the patient's earlier prescriptions still in supply today.
    active: tuple[ActiveMedication, ...] = ()
    # ICD-10 codes of the patient's confirmed diagnoses; None skips the indication check.
    confirmed_icd10: tuple[str, ...] | None = None


@dataclass
class Finding:
    code: str
    severity: str
    message: str
    drugs: list[str] = field(default_factory=list)
    field: str = "items"
    # The earlier prescription a finding comes from: {"prescription_id", "code", "drug_code", "name"}.
    earlier: dict | None = None

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


def _allergy_matches(allergen: str, drug: Drug) -> bool:
    """A catalogue group the drug belongs to, or a free text naming its ingredient or name."""
    text = allergen.strip().lower()
    if not text:
        return False
    groups = {g.lower() for g in drug.allergen_groups}
    names = {i.lower() for i in drug.ingredients} | {drug.name_zh.lower(), drug.generic_en.lower()}
    return text in groups or text in names or (len(text) >= 2 and any(text in n for n in names))


def check_allergy(items, drugs: dict[str, Drug], ctx: Context, cross: dict[str, set[str]] | None = None):
    """Recorded allergies against each new drug, and cross-sensitivity within related groups."""
    cross = formulary.allergen_cross_sensitivity() if cross is None else cross
    findings = []
    for item in items:
        drug = drugs.get(item.drug_code)
        if drug is None:
            continue
        direct = sorted(a for a in ctx.allergens if _allergy_matches(a, drug))
        if direct:
            findings.append(
                _f(
                    "allergy",
                    WARN,
                    _l("The patient is allergic to %(group)s; %(drug)s belongs to it."),
                    [drug.code],
                    group=", ".join(allergen_label(a) for a in direct),
                    drug=drug.name_zh,
                )
            )
            continue
        groups = {g.lower() for g in drug.allergen_groups}
        related = sorted(a for a in ctx.allergens if cross.get(a.strip().lower(), set()) & groups)
        if related:
            findings.append(
                _f(
                    "allergy_cross_sensitivity",
                    WARN,
                    _l("The patient is allergic to %(group)s; %(drug)s may cross-react (%(related)s)."),
                    [drug.code],
                    group=", ".join(allergen_label(a) for a in related),
                    drug=drug.name_zh,
                    related=", ".join(allergen_label(g) for g in sorted(groups)),
                )
            )
    return findings


def _keys(drug: Drug) -> set[tuple[str, str]]:
    return {("ingredient", i) for i in drug.ingredients} | {("class", c) for c in drug.classes}


@dataclass(frozen=True)
class _Pair:
    """Two drugs to compare; `earlier` is set when the second comes from an active prescription."""

    first: Drug
    second: Drug
    earlier: ActiveMedication | None = None


def _pairs(items, drugs: dict[str, Drug], ctx: Context, active_drugs: dict[str, Drug]) -> list[_Pair]:
    """Every pair among the new drugs, and every new drug with every active medication."""
    chosen = [drugs[i.drug_code] for i in items if i.drug_code in drugs]
    pairs = [_Pair(a, b) for a, b in combinations(chosen, 2)]
    for med in ctx.active:
        earlier = active_drugs.get(med.drug_code)
        if earlier is not None:
            pairs.extend(_Pair(new, earlier, med) for new in chosen)
    return pairs


def _earlier(pair: _Pair) -> dict | None:
    if pair.earlier is None:
        return None
    med = pair.earlier
    return {
        "prescription_id": med.prescription_id,
        "code": med.prescription_code,
        "drug_code": med.drug_code,
        "name": med.name,
        "supply_until": med.supply_until.isoformat(),
    }


def _from_earlier(finding: Finding, pair: _Pair) -> Finding:
    """Name the earlier prescription in the finding (its message and its data)."""
    if pair.earlier is not None:
        finding.earlier = _earlier(pair)
        finding.message += " " + gettext(
            "(%(drug)s from the earlier prescription %(code)s, in supply until %(until)s)",
            drug=pair.earlier.name,
            code=pair.earlier.prescription_code,
            until=pair.earlier.supply_until.isoformat(),
        )
    return finding


def _interaction_finding(pair: _Pair, row: DrugInteraction) -> Finding:
    contraindicated = row.severity == "contraindicated"
    finding = _f(
        "contraindicated_combination" if contraindicated else "interaction",
        BLOCK if contraindicated else WARN,
        _l("%(a)s + %(b)s (%(level)s): %(note)s"),
        [pair.first.code, pair.second.code],
        a=pair.first.name_zh,
        b=pair.second.name_zh,
        level=gettext(row.severity),
        note=row.note_en if _english() else row.note_zh,
    )
    return _from_earlier(finding, pair)


def check_interactions(items, drugs: dict[str, Drug], ctx: Context, table: list[DrugInteraction] | None = None):
    """Every known pair among the new drugs and the active ones, by ingredient or class, either way
    round; a contraindicated combination blocks with no override."""
    table = formulary.interactions() if table is None else table
    active_drugs = formulary.drugs_by_code([m.drug_code for m in ctx.active]) if ctx.active else {}
    findings = []
    for pair in _pairs(items, drugs, ctx, active_drugs):
        k1, k2 = _keys(pair.first), _keys(pair.second)
        for row in table:
            a, b = (row.a_kind, row.a), (row.b_kind, row.b)
            if (a in k1 and b in k2) or (a in k2 and b in k1):
                findings.append(_interaction_finding(pair, row))
                break
    return findings


def _english() -> bool:
    return str(get_locale() or "zh").startswith("en")


def check_duplicates(items, drugs: dict[str, Drug], ctx: Context) -> list[Finding]:
    """The same active ingredient or the same therapeutic class twice, new or still in supply."""
    active_drugs = formulary.drugs_by_code([m.drug_code for m in ctx.active]) if ctx.active else {}
    findings = []
    for pair in _pairs(items, drugs, ctx, active_drugs):
        first, second = pair.first, pair.second
        same = sorted(set(first.ingredients) & set(second.ingredients))
        kind = "ingredient"
        if not same:
            same, kind = sorted(set(first.classes) & set(second.classes)), "class"
        if same:
            label = _l("same active ingredient") if kind == "ingredient" else _l("same therapeutic class")
            finding = _f(
                "duplicate_therapy",
                WARN,
                _l("Duplicate therapy: %(a)s and %(b)s (%(kind)s: %(what)s)."),
                [first.code, second.code],
                a=first.name_zh,
                b=second.name_zh,
                kind=str(label),
                what=", ".join(same),
            )
            findings.append(_from_earlier(finding, pair))
    return findings


def _dose_finding(drug: Drug, daily: float) -> Finding | None:
    """Above the maximum warns; above twice the maximum is refused (no override)."""
    if not drug.max_daily_dose or daily <= drug.max_daily_dose + 1e-9:
        return None
    refused = daily > DOSE_REFUSAL_FACTOR * drug.max_daily_dose + 1e-9
    message = (
        _l("%(drug)s: %(daily)s %(unit)s a day is more than twice the maximum of %(max)s %(unit)s.")
        if refused
        else _l("%(drug)s: %(daily)s %(unit)s a day is above the maximum of %(max)s %(unit)s.")
    )
    return _f(
        "dose_above_twice_max" if refused else "dose_above_max",
        BLOCK if refused else WARN,
        message,
        [drug.code],
        drug=drug.name_zh,
        daily=f"{daily:g}",
        unit=drug.dose_unit,
        max=f"{drug.max_daily_dose:g}",
    )


def check_doses(items, drugs: dict[str, Drug], _ctx) -> list[Finding]:
    findings = []
    for item in items:
        drug = drugs.get(item.drug_code)
        if drug is None:
            continue
        if item.dose <= 0:
            findings.append(_f("invalid_dose", BLOCK, _l("Enter a dose above zero."), [drug.code]))
            continue
        finding = _dose_finding(drug, item.dose * max(FREQUENCIES[item.frequency], 1))
        if finding is not None:
            findings.append(finding)
    return findings


def indicated(icd10_codes: tuple[str, ...], indications: list[str]) -> bool:
    """Whether any diagnosis code falls under one of the class's ICD-10 codes or prefixes."""
    codes = [c.upper().strip() for c in icd10_codes]
    return any(code.startswith(prefix.upper()) for code in codes for prefix in indications)


def check_indication(items, drugs: dict[str, Drug], ctx: Context) -> list[Finding]:
    """A drug whose classes none of the confirmed diagnoses calls for (classes without a mapping
    in the catalogue are not judged)."""
    if ctx.confirmed_icd10 is None:
        return []
    classes = formulary.classes_by_code()
    findings = []
    for item in items:
        drug = drugs.get(item.drug_code)
        if drug is None:
            continue
        indications = [code for c in drug.classes if c in classes for code in (classes[c].indications or [])]
        if indications and not indicated(ctx.confirmed_icd10, indications):
            findings.append(
                _f(
                    "no_indication",
                    WARN,
                    _l("None of the patient's confirmed diagnoses is an indication for %(drug)s (%(classes)s)."),
                    [drug.code],
                    drug=drug.name_zh,
                    classes=", ".join(drug.classes),
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
    check_indication,
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
