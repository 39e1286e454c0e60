"""How the audit log names pharmacy's objects and verbs, and which page an administrator opens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import audit

audit.describe_actions({"dispense": _l("dispensed"), "refund": _l("refunded")})
audit.describe_object("order", _l("order"), "/orders/{id}")
audit.describe_object("order_quote", _l("price quote"), None)
audit.describe_object("delivery", _l("delivery"), None)
