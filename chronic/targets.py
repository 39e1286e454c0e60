"""Each patient's target band and alert thresholds: the guideline defaults until his doctor
changes them (Chinese hypertension guideline: target < 140/90, urgent >= 180/110 mmHg; Chinese
diabetes guideline: fasting 4.4-7.0, after a meal < 10.0, urgent >= 16.7 or < 3.0 mmol/L)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from chronic import care
from chronic.models import CareTargets
from core import audit, clock
from core.errors import ValidationFailed
from core.extensions import db
from core.models import User

DEFAULTS: dict[str, float] = {
    "bp_systolic_target": 140,
    "bp_diastolic_target": 90,
    "bp_systolic_urgent": 180,
    "bp_diastolic_urgent": 110,
    "glucose_fasting_low": 4.4,
    "glucose_fasting_high": 7.0,
    "glucose_after_meal_high": 10.0,
    "glucose_urgent": 16.7,
    "glucose_urgent_low": 3.0,
}
LABELS = {
    "bp_systolic_target": _l("Target systolic pressure (mmHg)"),
    "bp_diastolic_target": _l("Target diastolic pressure (mmHg)"),
    "bp_systolic_urgent": _l("Urgent systolic pressure (mmHg)"),
    "bp_diastolic_urgent": _l("Urgent diastolic pressure (mmHg)"),
    "glucose_fasting_low": _l("Lowest fasting glucose in target (mmol/L)"),
    "glucose_fasting_high": _l("Highest fasting glucose in target (mmol/L)"),
    "glucose_after_meal_high": _l("Highest glucose after a meal in target (mmol/L)"),
    "glucose_urgent": _l("Urgent high glucose (mmol/L)"),
    "glucose_urgent_low": _l("Urgent low glucose (mmol/L)"),
}
# Plausible ranges for a threshold: a doctor's typo must not silence every alert.
_RANGES: dict[str, tuple[float, float]] = {
    "bp_systolic_target": (100, 180),
    "bp_diastolic_target": (60, 110),
    "bp_systolic_urgent": (140, 250),
    "bp_diastolic_urgent": (90, 150),
    "glucose_fasting_low": (3.0, 7.0),
    "glucose_fasting_high": (5.0, 12.0),
    "glucose_after_meal_high": (6.0, 16.0),
    "glucose_urgent": (11.1, 30.0),
    "glucose_urgent_low": (2.0, 4.0),
}
# (lower, higher): the lower threshold must stay below the higher one.
_ORDER = [
    ("bp_systolic_target", "bp_systolic_urgent"),
    ("bp_diastolic_target", "bp_diastolic_urgent"),
    ("glucose_fasting_low", "glucose_fasting_high"),
    ("glucose_fasting_high", "glucose_urgent"),
    ("glucose_after_meal_high", "glucose_urgent"),
    ("glucose_urgent_low", "glucose_fasting_low"),
]


def targets_of(patient_id: int) -> dict:
    """The patient's thresholds (his doctor's, or the defaults), plus who set them."""
    row = db.session.execute(db.select(CareTargets).filter_by(patient_id=patient_id)).scalar_one_or_none()
    values = {name: (getattr(row, name) if row else default) for name, default in DEFAULTS.items()}
    values["customised"] = row is not None
    values["updated_at"] = row.updated_at if row else None
    return values


def _check(values: dict) -> None:
    for name, (low, high) in _RANGES.items():
        if not low <= values[name] <= high:
            raise ValidationFailed(
                "target_out_of_range",
                _l("%(name)s must be between %(low)s and %(high)s."),
                field=name,
                name=LABELS[name],
                low=low,
                high=high,
            )
    for lower, higher in _ORDER:
        if values[lower] >= values[higher]:
            raise ValidationFailed(
                "target_order",
                _l("%(lower)s must be below %(higher)s."),
                field=lower,
                lower=LABELS[lower],
                higher=LABELS[higher],
            )


def set_targets(doctor_user: User, patient_id: int, changes: dict) -> dict:
    """His doctor changes some thresholds; the rest keep their current values."""
    care.require_doctor_for(doctor_user, patient_id)
    current = targets_of(patient_id)
    values = {name: float(changes.get(name, current[name])) for name in DEFAULTS}
    _check(values)
    row = db.session.execute(db.select(CareTargets).filter_by(patient_id=patient_id)).scalar_one_or_none()
    if row is None:
        row = CareTargets(patient_id=patient_id, **values)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, int(value) if name.startswith("bp_") else value)
    row.updated_by_id, row.updated_at = doctor_user.id, clock.now()
    audit.record(doctor_user.id, patient_id, "update", "care_targets", patient_id, changed=sorted(changes))
    db.session.commit()
    return targets_of(patient_id)


def targets_for(actor: User, patient_id: int) -> dict:
    """targets_of for someone who may see the patient (audited read)."""
    care.patient_for(actor, patient_id)
    audit.record_read(actor.id, patient_id, "care_targets", patient_id)
    return targets_of(patient_id)
