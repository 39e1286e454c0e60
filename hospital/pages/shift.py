"""The doctor's shift on one screen: queue, conversation and patient side by side; everything
after the first load goes through the JSON API and the sockets (no page reloads)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.models import Role
from hospital.services import prescription_safety as safety
from hospital.services import prescriptions

bp = Blueprint("shift_pages", __name__)

nav.add_nav(Role.DOCTOR, _l("Shift desk"), "/shift", order=5)
nav.add_home_section(Role.DOCTOR, "hospital/shift/_home_desk.html", order=25)


def _labels(mapping: dict) -> dict[str, str]:
    return {code: str(label) for code, label in mapping.items()}


@bp.get("/shift")
@page_roles(Role.DOCTOR)
def desk():
    """The shift desk; the script fetches the queue and the patient of the moment."""
    return render_template(
        "hospital/shift/desk.html",
        override_reasons=_labels(prescriptions.OVERRIDE_REASONS),
        frequencies=_labels(safety.FREQUENCY_LABELS),
    )
