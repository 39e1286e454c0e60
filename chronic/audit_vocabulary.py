"""How the audit log names chronic care's objects and verbs (the administrator reads words)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

audit.describe_actions(
    {
        "publish": _l("published"),
        "book": _l("booked"),
        "fulfil": _l("fulfilled"),
        "acknowledge": _l("acknowledged"),
        "mark": _l("marked"),
    }
)
for object_type, label in (
    ("adherence", _l("medication adherence")),
    ("booking", _l("booking")),
    ("bookings", _l("bookings")),
    ("care_targets", _l("care targets")),
    ("chronic_alert", _l("chronic-care alert")),
    ("chronic_alerts", _l("chronic-care alerts")),
    ("dose", _l("dose")),
    ("dose_schedule", _l("dose schedule")),
    ("follow_up_department", _l("department follow-up list")),
    ("follow_up_item", _l("follow-up item")),
    ("follow_up_items", _l("follow-up items")),
    ("follow_up_plan", _l("follow-up plan")),
    ("lab_order", _l("lab order")),
    ("lab_result", _l("lab result")),
    ("lab_results", _l("lab results")),
    ("reading", _l("reading")),
    ("readings", _l("readings")),
    ("slots", _l("appointment slots")),
):
    audit.describe_object(object_type, label)
