"""Prescriptions, one import for the other areas: the public functions of the modules that do the
work, each by what it does —

- `prescription_states`: the transition table and `move_to`;
- `prescription_access`: who sees a prescription, lists and the review queue;
- `prescription_drafts`: writing drafts, with the safety checks on the draft and the active list;
- `prescription_safety`: the rules themselves;
- `prescription_signing`: the doctor's signature, overrides with a coded reason, integrity;
- `prescription_review`: the pharmacist's review and what his page shows;
- `prescription_validity`: validity and expiry;
- `prescription_pharmacy`: the pharmacy's contract (payable / paid / dispensed / refunded);
- `prescription_queries`: public verification and the history panel.

Transactions: every function commits its own change (with its audit entry) and then sends its
notifications. Nothing here is imported back by those modules (no cycles).
"""

from __future__ import annotations

from hospital.services.prescription_access import (
    get_prescription_for,
    list_for,
    may_see,
    register_pharmacy_lookups,
    review_queue,
    review_queue_for,
)
from hospital.services.prescription_drafts import (
    MAX_VALIDITY_DAYS,
    DraftInput,
    SafetyRefused,
    check_draft,
    check_result,
    create_draft,
    draft_input,
    editor_record,
    revise,
    update_draft,
)
from hospital.services.prescription_pharmacy import (
    PayableLine,
    PayablePrescription,
    mark_dispensed,
    mark_paid,
    mark_refunded,
    payable_prescription,
)
from hospital.services.prescription_queries import history_for_patient, register_with_consultations, verify_public
from hospital.services.prescription_review import ReviewView, review_prescription, review_view
from hospital.services.prescription_signing import (
    OVERRIDE_REASONS,
    canonical_content,
    override_label,
    sign_prescription,
    summary,
    valid_until_for,
    verify_integrity,
)
from hospital.services.prescription_states import (
    ONCE_APPROVED,
    TRANSITIONS,
    effective_status,
    get,
    is_past_validity,
    move_to,
)
from hospital.services.prescription_validity import expire_overdue

_get = get  # the name older callers use

__all__ = [
    "MAX_VALIDITY_DAYS",
    "ONCE_APPROVED",
    "OVERRIDE_REASONS",
    "TRANSITIONS",
    "DraftInput",
    "PayableLine",
    "PayablePrescription",
    "ReviewView",
    "SafetyRefused",
    "canonical_content",
    "check_draft",
    "check_result",
    "create_draft",
    "draft_input",
    "editor_record",
    "effective_status",
    "expire_overdue",
    "get",
    "get_prescription_for",
    "get_with_integrity",
    "history_for_patient",
    "is_past_validity",
    "list_for",
    "mark_dispensed",
    "mark_paid",
    "mark_refunded",
    "may_see",
    "move_to",
    "override_label",
    "payable_prescription",
    "register_pharmacy_lookups",
    "register_with_consultations",
    "review_prescription",
    "review_queue",
    "review_queue_for",
    "review_view",
    "revise",
    "sign_prescription",
    "summary",
    "update_draft",
    "valid_until_for",
    "verify_integrity",
    "verify_public",
]


def get_with_integrity(user, prescription_id: int):
    """A prescription the user may see, with the result of checking its signatures against the row."""
    rx = get_prescription_for(user, prescription_id)
    rx.integrity = verify_integrity(rx)
    return rx
