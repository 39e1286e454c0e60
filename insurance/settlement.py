"""Settlement services: presettle, settle, reverse, resolve — the functions other packages call.

The order of a settlement is fixed by the rule "never charge twice":
1. the voucher is verified (1101/5301) — a failure here has charged nothing;
2. a `pending` row is written and COMMITTED; its unique `active_ord` lets only one settlement
   per order exist, whatever the concurrency (the losers see the winner's row);
3. the insurer is asked with the row's msgid (retried with the same msgid);
4. the row becomes settled, failed (refused: nothing charged, the order can be paid again) or
   unknown (no answer: `resolve` asks the insurer what happened, by 6301 query, or bars the lost
   message by 2601 correction — it never sends a new charge).
Every function commits its own work; a caller should hold no uncommitted changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from core import audit, clock, failpoints
from core.errors import AppError, Conflict, NotFound
from core.extensions import db
from core.rows import insert_row
from insurance import ledger
from insurance.claims import MED_TYPE_CHRONIC, MED_TYPE_OUTPATIENT, Claim, InsuredPerson, Split
from insurance.envelope import CHRONIC_FILINGS, PERSON_INFO, SETTLE, SETTLEMENT_AMOUNTS
from insurance.errors import (
    MSG_IN_PROGRESS,
    MSG_UNKNOWN,
    SettlementInProgress,
    SettlementUnknown,
    refusal_error,
    unreachable_error,
)
from insurance.gateway import InsurerRefused, InsurerUnreachable, get_gateway
from insurance.models import Settlement, SettlementStatus

S = SettlementStatus


@dataclass(frozen=True)
class SettlementView:
    """A settlement as other packages see it (plain data, amounts in fen)."""

    id: int
    med_org_ord: str
    status: str
    pay_kind: str
    msgid: str
    setl_id: str | None
    psn_no: str | None
    insutype: str | None
    med_type: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    hifp_pay: int
    acct_pay: int
    psn_cash_pay: int
    preselfpay_amt: int
    fulamt_ownpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    balc: int | None
    lines: tuple[dict, ...]
    patient_id: int | None
    prescription_id: int | None
    created_at: datetime
    settled_at: datetime | None
    reversed_at: datetime | None
    last_error: str | None

    @classmethod
    def of(cls, row: Settlement) -> SettlementView:
        return cls(
            **{name: getattr(row, name) for name in cls.__dataclass_fields__ if name != "lines"},
            lines=tuple(row.lines or ()),
        )


_listeners: list[Callable[[SettlementView], None]] = []


def add_settlement_listener(fn: Callable[[SettlementView], None]) -> None:
    """fn(view) is called after `resolve` settles or fails a settlement whose outcome was unknown."""
    _listeners.append(fn)


def _gateway_call(fn, *args):
    """Call the gateway; a refusal or silence becomes the domain error a person can act on."""
    try:
        return fn(*args)
    except InsurerRefused as refusal:
        raise refusal_error(refusal) from None
    except InsurerUnreachable as err:
        raise unreachable_error(err) from None


def identify(claim: Claim, msgids: tuple[str, str] | None = None) -> tuple[InsuredPerson | None, str]:
    """The voucher's person (None for self-pay) and the med_type: 14 only for a filed chronic disease."""
    if claim.self_pay:
        return None, MED_TYPE_OUTPATIENT
    person = _gateway_call(get_gateway().verify_voucher, claim.voucher_token, claim.certno, msgids)
    chronic = claim.chronic and person.chronic_eligible(claim.dise_codg, clock.today())
    return person, MED_TYPE_CHRONIC if chronic else MED_TYPE_OUTPATIENT


def presettle(claim: Claim) -> Split:
    """The split of a claim (fund, personal account, cash, per-line class); nothing is charged."""
    claim.validate()
    person, med_type = identify(claim)
    return _gateway_call(get_gateway().presettle, claim, person, med_type)


def settle(claim: Claim, actor_id: int | None = None) -> SettlementView:
    """Charge a claim once. Repeating it returns the same settlement; it never charges twice.

    Raises ValidationFailed/Forbidden (voucher refused: nothing charged), SettlementInProgress
    (409: another call is settling this order), SettlementUnknown (503: no answer; resolved later).
    """
    claim.validate()
    existing = ledger.live_settlement(claim.med_org_ord)
    if existing is not None:
        return _outcome_of(existing, claim)
    try:
        person, med_type = identify(claim)
    except AppError:
        # A concurrent twin may have settled the order, spending the voucher meanwhile.
        db.session.rollback()
        existing = ledger.live_settlement(claim.med_org_ord)
        if existing is not None:
            return _outcome_of(existing, claim)
        raise
    row = _open(claim, person, med_type)
    if isinstance(row, SettlementView):
        return row
    return _charge(row, claim, person, med_type, actor_id)


@dataclass(frozen=True)
class Prepared:
    """A claim ready to be charged: its payer identified (1101) and its 2207 msgid reserved."""

    person: InsuredPerson | None
    med_type: str
    msgid: str
    # The pending row once `add_pending` made it (kept by the caller until the charge, so that
    # `charge_pending` need not read it again: a strong reference, the session's is weak).
    pending: list[Settlement] = field(default_factory=list, compare=False, repr=False)


def prepare(claim: Claim) -> Prepared:
    """Phase 0 of a phased payment: identify the payer and reserve a msgid. Nothing is charged,
    and nothing of the caller's is written (call it with no transaction open)."""
    claim.validate()
    if claim.self_pay:
        return Prepared(None, MED_TYPE_OUTPATIENT, ledger.allocate_msgid(SETTLE))
    # The three messages' ids in one commit: the person (1101), his filings (5301), the charge.
    person_msgid, filings_msgid, msgid = ledger.allocate_msgids(PERSON_INFO, CHRONIC_FILINGS, SETTLE)
    person, med_type = identify(claim, (person_msgid, filings_msgid))
    return Prepared(person, med_type, msgid)


def add_pending(claim: Claim, prepared: Prepared) -> None:
    """Phase 1: add the pending settlement to the caller's transaction (the caller commits it
    together with what is paid for, before anything is sent to the insurer)."""
    row = pending_row(claim, prepared.person, prepared.med_type, prepared.msgid)
    insert_row(row)  # one Core INSERT; the row is kept outside the session, moved by `move_to`
    prepared.pending[:] = [row]


def charge_pending(
    claim: Claim, prepared: Prepared, actor_id: int | None = None, then: Callable[[SettlementView], None] | None = None
) -> SettlementView:
    """Phase 2: send the committed pending settlement's 2207 (same errors as `settle`).

    `then(view)`, when given, runs once the insurer has charged, before the settled row is
    committed: what it writes (what was paid for) commits in the same transaction, or nothing does
    and the sweep finishes both from the insurer's record."""
    # The row this request committed is used as it is (no read): whatever changed it since (the
    # sweep, only after minutes) makes the conditional `move_to` below a 409, and the insurer
    # answers a msgid barred by 2601 with its refusal, never a charge.
    row = prepared.pending[0] if prepared.pending else ledger.live_settlement(claim.med_org_ord)
    if row is None:  # resolved as not charged meanwhile (2601): never a second, new charge
        raise Conflict("settlement_closed", _l("This payment was closed meanwhile; please pay again."))
    if row.msgid != prepared.msgid or row.status != S.PENDING:
        view = _outcome_of(row, claim)
        if then is not None:
            then(view)
            db.session.commit()
        return view
    return _charge(row, claim, prepared.person, prepared.med_type, actor_id, then)


def _outcome_of(row: Settlement, claim: Claim) -> SettlementView:
    """What a repeated settle call for an order that already has a live settlement gets."""
    if row.fingerprint != claim.fingerprint():
        raise Conflict("claim_changed", _l("This order is already being paid for with different items."))
    if row.status in (S.SETTLED, S.REVERSING):
        return SettlementView.of(row)
    if row.status == S.UNKNOWN:
        raise SettlementUnknown("settlement_unknown", MSG_UNKNOWN)
    raise SettlementInProgress("settlement_in_progress", MSG_IN_PROGRESS)


def pending_row(claim: Claim, person: InsuredPerson | None, med_type: str, msgid: str) -> Settlement:
    """The `pending` settlement of a claim under an allocated msgid (not added to any session)."""
    return Settlement(
        med_org_ord=claim.med_org_ord,
        active_ord=claim.med_org_ord,
        status=S.PENDING.value,
        pay_kind="self_pay" if person is None else "insurance",
        msgid=msgid,
        fingerprint=claim.fingerprint(),
        patient_id=claim.patient_id,
        prescription_id=claim.prescription_id,
        psn_no=person.psn_no if person else None,
        insutype=person.insutype if person else None,
        med_type=med_type,
        dise_codg=claim.dise_codg,
        medfee_sumamt=claim.medfee_sumamt,
        lines=[
            {
                "code": ln.code,
                "name": ln.name,
                "drug_class": ln.drug_class,
                "quantity": ln.quantity,
                "unit_price_fen": ln.unit_price_fen,
                "total_fen": ln.total_fen,
            }
            for ln in claim.lines
        ],
    )


def _open(claim: Claim, person: InsuredPerson | None, med_type: str) -> Settlement | SettlementView:
    """Write the pending row and commit it before anything is sent; the unique order decides races."""
    row = pending_row(claim, person, med_type, ledger.allocate_msgid(SETTLE))
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        winner = ledger.live_settlement(claim.med_org_ord)
        if winner is None:  # it finished and freed the order in between: the caller may try again
            raise SettlementInProgress("settlement_in_progress", MSG_IN_PROGRESS) from None
        return _outcome_of(winner, claim)
    return row


def _amounts(split: Split) -> dict:
    """The columns a settlement row takes from the insurer's answer."""
    return {name: getattr(split, name) for name in ("setl_id", "mdtrt_id", *SETTLEMENT_AMOUNTS)}


def _split_of(row: Settlement) -> Split:
    """A settled row as the Split the insurer answered (what a refund needs)."""
    return Split(
        **{name: getattr(row, name) or 0 for name in SETTLEMENT_AMOUNTS},
        setl_id=row.setl_id,
        mdtrt_id=row.mdtrt_id,
        med_type=row.med_type,
        insutype=row.insutype,
        setl_type="CASH" if row.pay_kind == "self_pay" else "HI",
        psn_no=row.psn_no,
    )


def _released(value):
    """Commit (ending the read transaction) so no connection is held while the insurer works.

    The in-process insurer needs a connection of its own, and a slow insurer must not pin the
    pool: a session holding one while calling out deadlocks a busy server.
    """
    db.session.commit()
    return value


def _charge(row: Settlement, claim: Claim, person, med_type: str, actor_id: int | None, then=None) -> SettlementView:
    try:
        split = get_gateway().settle(claim, person, med_type, _released(row.msgid))
        failpoints.hit("settlement.answered")  # crash tests: the insurer answered, nothing recorded yet
    except InsurerRefused as refusal:
        row.move_to(S.FAILED, last_error=refusal.err_msg)
        audit.record(actor_id, claim.patient_id, "settle_failed", "settlement", row.id, reason=refusal.code)
        db.session.commit()
        raise refusal_error(refusal) from None
    except InsurerUnreachable as err:
        row.move_to(S.UNKNOWN, last_error=f"no answer: {err.cause}")
        audit.record(actor_id, claim.patient_id, "settle_unknown", "settlement", row.id)
        db.session.commit()
        raise SettlementUnknown("settlement_unknown", MSG_UNKNOWN) from None
    row.move_to(S.SETTLED, settled_at=split.setl_time or clock.now(), last_error=None, **_amounts(split))
    audit.record_at_commit(
        actor_id,
        claim.patient_id,
        "settle",
        "settlement",
        row.id,
        setl_id=split.setl_id,
        medfee_sumamt=split.medfee_sumamt,
        fund_pay_sumamt=split.fund_pay_sumamt,
    )
    view = SettlementView.of(row)
    if then is not None:
        then(view)
    db.session.commit()
    return view


def settlement_for(med_org_ord: str) -> SettlementView | None:
    """The live settlement of an order, else its latest attempt, else None."""
    row = ledger.live_settlement(med_org_ord) or ledger.latest_settlement(med_org_ord)
    return SettlementView.of(row) if row else None


def reverse(med_org_ord: str, actor_id: int | None = None) -> SettlementView:
    """Refund a settled order whole (2208). A repeated call after success returns the reversal."""
    row = ledger.live_settlement(med_org_ord)
    if row is None:
        latest = ledger.latest_settlement(med_org_ord)
        if latest is not None and latest.status == S.REVERSED:
            return SettlementView.of(latest)
        raise NotFound("no_settlement", _l("This order has no payment to refund."))
    if row.status == S.REVERSING:
        raise SettlementInProgress("reversal_in_progress", _l("This refund is being processed. Please wait."))
    if row.status != S.SETTLED:
        raise Conflict("not_settled", _l("Only a settled payment can be refunded."))
    msgid = ledger.allocate_msgid("2208")
    row.move_to(S.REVERSING, expected=S.SETTLED, reverse_msgid=msgid)
    db.session.commit()
    return _send_reversal(row, actor_id)


def _send_reversal(row: Settlement, actor_id: int | None) -> SettlementView:
    try:
        reversal = get_gateway().reverse(*_released((_split_of(row), row.reverse_msgid)))
    except InsurerRefused as refusal:
        row.move_to(S.SETTLED, last_error=refusal.err_msg)
        db.session.commit()
        raise refusal_error(refusal) from None
    except InsurerUnreachable as err:
        row.last_error = f"refund: no answer: {err.cause}"
        db.session.commit()
        raise SettlementUnknown(
            "reversal_unknown",
            _l("The insurer has not confirmed the refund yet. We are checking with it; nothing more is needed."),
        ) from None
    row.move_to(S.REVERSED, revs_setl_id=reversal.revs_setl_id, reversed_at=reversal.reversed_at or clock.now())
    audit.record(actor_id, row.patient_id, "reverse", "settlement", row.id, revs_setl_id=reversal.revs_setl_id)
    db.session.commit()
    return SettlementView.of(row)


# --- resolving what was left unknown ---


@dataclass(frozen=True)
class Resolution:
    med_org_ord: str
    msgid: str
    before: str
    after: str
    how: str


def resolve_unknown(older_than_seconds: float = 60) -> list[Resolution]:
    """Ask the insurer about every unknown settlement (and stale pending/reversing ones)."""
    results = []
    for row in ledger.unresolved(older_than_seconds):
        before = row.status
        how = _resolve_one(row, report=True)
        results.append(Resolution(row.med_org_ord, row.msgid, before, row.status, how))
    return results


def _resolve_one(row: Settlement, report: bool = False):
    """Settle, fail or finish reversing one row from what the insurer says; never charge again."""
    gateway = get_gateway()
    try:
        how = _finish_reversal(row) if row.status == S.REVERSING else _settle_from_insurer(row, gateway)
    except (InsurerUnreachable, InsurerRefused) as err:
        row.last_error = f"resolve: {err}"
        db.session.commit()
        how = "still unknown"
    except Conflict:  # someone else resolved it meanwhile
        db.session.rollback()
        how = "still unknown"
    if row.status in (S.SETTLED, S.FAILED, S.REVERSED) and how != "still unknown":
        view = SettlementView.of(row)
        for listener in _listeners:
            listener(view)
    return how if report else SettlementView.of(row)


def _settle_from_insurer(row: Settlement, gateway) -> str:
    """6301: did our 2207 (its msgid) charge? If the insurer has nothing, bar the msgid by 2601."""
    mine = [o for o in gateway.query(row.med_org_ord) if o.msgid == row.msgid]
    current = S(row.status)
    if mine and mine[0].ord_stas == "6":
        split = mine[0].split
        row.move_to(
            S.SETTLED, expected=current, settled_at=split.setl_time or clock.now(), last_error=None, **_amounts(split)
        )
        audit.record(None, row.patient_id, "settle", "settlement", row.id, setl_id=split.setl_id, resolved=True)
        db.session.commit()
        return "6301: charged, now settled"
    # Not charged (or already undone): bar the lost message so that it can never charge late.
    result = gateway.correct(row.msgid, SETTLE, row.psn_no)
    row.move_to(S.FAILED, expected=current, last_error=f"resolved: not charged (2601 {result})")
    audit.record(None, row.patient_id, "settle_failed", "settlement", row.id, resolved=True)
    db.session.commit()
    return f"2601: {result}, now failed"


def _finish_reversal(row: Settlement) -> str:
    """Resend the refund with its own msgid: the insurer answers a repeat with its first answer."""
    reversal = get_gateway().reverse(*_released((_split_of(row), row.reverse_msgid)))
    row.move_to(S.REVERSED, revs_setl_id=reversal.revs_setl_id, reversed_at=reversal.reversed_at or clock.now())
    db.session.commit()
    return "2208 repeated: now reversed"


def with_voucher(claim: Claim, token: str | None) -> Claim:
    """The same claim paid with this voucher (None: self-pay)."""
    return replace(claim, voucher_token=token or None)
