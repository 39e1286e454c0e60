"""How the audit log names the settlement's objects and verbs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

audit.describe_actions(
    {
        "settle": _l("settled"),
        "settle_failed": _l("failed to settle"),
        "settle_unknown": _l("settled with an unknown outcome"),
        "reverse": _l("reversed"),
    }
)
audit.describe_object("settlement", _l("settlement"), None)
audit.describe_object("presettlement", _l("pre-settlement"), None)
audit.describe_object("insured_person", _l("insured person"), None)
