"""How the audit log names the regulator feed's actions and objects."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

audit.describe_actions({"resend": _l("sent again"), "reconcile": _l("reconciled")})
audit.describe_object("regulator_report", _l("report to the supervision platform"), "/admin/regulator")
audit.describe_object("regulator_day", _l("day's reports to the supervision platform"), "/admin/regulator")
