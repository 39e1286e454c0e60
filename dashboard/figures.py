"""The dashboard's figures for a period, composed from the domains' statistics services, and the
same figures as CSV rows (one figure per row: section, name, value)."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask_babel import lazy_gettext as _l

from core.errors import Forbidden
from core.models import Role, User
from hospital.services import statistics as hospital_stats
from pharmacy import statistics as pharmacy_stats


def figures_for(user: User, first: date | None = None, last: date | None = None) -> dict:
    """Every figure of the dashboard for the local days [first, last] (today by default)."""
    if user.role != Role.ADMIN:
        raise Forbidden("role_refused", _l("Your role may not do this."))
    p = hospital_stats.period(first, last)
    return {
        "first": p.first,
        "last": p.last,
        "consultations_by_department": hospital_stats.consultations_by_department(p),
        "consultations_by_hour": hospital_stats.consultations_by_hour(p),
        "waiting_minutes": hospital_stats.waiting_times(p),
        "duty_against_queue": hospital_stats.duty_against_queue(p),
        "prescriptions": hospital_stats.prescriptions(p),
        "orders": pharmacy_stats.orders(p),
        "delivery_minutes": pharmacy_stats.delivery_times(p),
    }


def csv_text(figures: dict) -> str:
    """The figures as CSV: section, name, value (UTF-8 with a BOM, so spreadsheets read Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["section", "name", "value"])
    writer.writerow(["period", "from", figures["first"].isoformat()])
    writer.writerow(["period", "to", figures["last"].isoformat()])
    for row in figures["consultations_by_department"]:
        writer.writerow(["consultations_by_department", f"{row['hospital_zh']} {row['department_zh']}", row["count"]])
    for hour, count in enumerate(figures["consultations_by_hour"]):
        writer.writerow(["consultations_by_hour", f"{hour:02d}:00", count])
    for name in ("waiting_minutes", "delivery_minutes"):
        for key, value in figures[name].items():
            writer.writerow([name, key, "" if value is None else value])
    for point in figures["duty_against_queue"]:
        writer.writerow(["doctors_on_duty", point["at"], point["on_duty"]])
        writer.writerow(["patients_waiting", point["at"], point["waiting"]])
    for key, value in figures["prescriptions"].items():
        if key == "review_minutes":
            for k, v in value.items():
                writer.writerow(["prescription_review_minutes", k, "" if v is None else v])
        else:
            writer.writerow(["prescriptions", key, value])
    for key, value in figures["orders"].items():
        if key == "by_status":
            for status, count in sorted(value.items()):
                writer.writerow(["orders_by_status", status, count])
        else:
            writer.writerow(["orders", key, "" if value is None else value])
    return out.getvalue()
