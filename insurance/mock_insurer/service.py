"""The mock insurer: one handler that answers request envelopes, with its own ledger.

`MockInsurer.handle(envelope) -> envelope` is the whole service; the in-process gateway calls it
directly and the mock's own server (insurance.mock_insurer.server) exposes it over HTTP, so both
paths see the same messages. The work is done by one mixin per concern: persons (1101, 5301 and
the record every resident has), settling (2206, 2207), reversals (2208, 2601, 6301), statements
(3201, 3202), mobile payment (6201-6203), control (M001-M004) and authorisation (M005 and the
patient's page).

Every national message is answered once per msgid: the answer is stored with the work in one
transaction under mi_messages' unique msgid, so a repeated (or concurrent) msgid gets the first
answer and is never charged twice. Balances and year counters change by conditional updates on
a version column; a lost race is retried from a fresh read.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from core import clock
from insurance import envelope as env_
from insurance.mock_insurer import policy as pol
from insurance.mock_insurer.authorisation import Authorisation
from insurance.mock_insurer.common import Refusal, StaleRow
from insurance.mock_insurer.constants import DEFAULT_ADMDVS
from insurance.mock_insurer.control import Control
from insurance.mock_insurer.faults import FaultSwitch
from insurance.mock_insurer.mobile import MobilePayment
from insurance.mock_insurer.models import MiMessage, MiPerson, MiSettlement
from insurance.mock_insurer.persons import Persons
from insurance.mock_insurer.reversals import Reversals
from insurance.mock_insurer.settling import Settling
from insurance.mock_insurer.statements import Statements

SessionFactory = Callable[[], Session]
_serial = itertools.count(int(time.time()) % 1_000_000)


def _fingerprint(envelope: dict) -> str:
    body = json.dumps([envelope["infno"], envelope["input"]], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _transient(err: OperationalError) -> bool:
    """A busy database or a lost serialisation race, worth another try."""
    text = str(err.orig).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock"))


class MockInsurer(Persons, Settling, Reversals, Statements, MobilePayment, Control, Authorisation):
    """The insurer's side of the interface, with faults that tests and admins can switch on."""

    def __init__(
        self,
        sessions: SessionFactory,
        secret: str,
        policy: dict | None = None,
        admdvs: str = DEFAULT_ADMDVS,
        faults: dict | None = None,
    ):
        self.sessions = sessions
        self.secret = secret.encode()
        self.policy = pol.merged_policy(policy)
        self.admdvs = admdvs
        self.faults = FaultSwitch(faults)
        self._handlers = {
            env_.PERSON_INFO: self._person_info,
            env_.CHRONIC_FILINGS: self._chronic_filings,
            env_.PRESETTLE: self._presettle,
            env_.SETTLE: self._settle,
            env_.REVERSE: self._reverse,
            env_.CORRECT: self._correct,
            env_.ORDER_QUERY: self._order_query,
            env_.STATEMENT_TOTALS: self._statement_totals,
            env_.STATEMENT_DETAIL: self._statement_detail,
            env_.FEE_UPLOAD: self._upload_fees,
            env_.PAY_ORDER: self._pay_order,
            env_.REFUND: self._refund,
        }
        self._control = {
            env_.MOCK_ENROLL: self._enroll,
            env_.MOCK_FAULTS: self._set_faults,
            env_.MOCK_ISSUE_VOUCHER: self._issue_voucher,
            env_.MOCK_AUTHORISATION: self._request_authorisation,
        }

    def handle(self, envelope: dict) -> dict:
        """Answer one request envelope (may raise SimulatedTimeout after committing a write)."""
        try:
            env_.check_request(envelope)
        except env_.EnvelopeError as err:
            return self._reply(envelope if isinstance(envelope, dict) else {}, -1, None, f"[bad_envelope] {err}")
        infno = envelope["infno"]
        if infno in self._control:
            return self._run_control(envelope)
        if infno not in self._handlers:
            return self._reply(envelope, -1, None, f"[unknown_infno] 不支持的交易 {infno}")
        failure = self.faults.before(infno)
        if failure:
            return self._reply(envelope, -1, None, failure)
        answer = self._answer_once(envelope)
        self.faults.after(infno, answer, infno in env_.WRITE_INFNOS)
        return answer

    def _reply(self, envelope: dict, infcode: int, output: dict | None, err_msg: str = "") -> dict:
        now = clock.local_now()
        refmsgid = f"{self.admdvs}{now.strftime('%Y%m%d%H%M%S')}{next(_serial) % 10**10:010d}"
        return env_.response(envelope, infcode, output, refmsgid, now, err_msg)

    def _run_control(self, envelope: dict) -> dict:
        with self.sessions() as session:
            try:
                return self._reply(envelope, 0, self._control[envelope["infno"]](session, envelope["input"]))
            except Refusal as refusal:
                session.rollback()
                return self._reply(envelope, -1, None, refusal.err_msg)

    def _stored(self, session: Session, msgid: str) -> MiMessage | None:
        return session.scalar(select(MiMessage).filter_by(msgid=msgid))

    def _replay(self, stored: MiMessage, envelope: dict, fingerprint: str) -> dict:
        if stored.fingerprint not in (fingerprint, "corrected"):
            return self._reply(envelope, -1, None, "[msgid_reused] 报文ID已用于另一笔交易")
        return stored.response

    def _answer_once(self, envelope: dict) -> dict:
        """The stored answer for this msgid, or do the work and store its answer with it."""
        msgid, fingerprint = envelope["msgid"], _fingerprint(envelope)
        with self.sessions() as session:
            for attempt in range(40):
                # A first attempt goes straight to the work: a msgid already answered fails its
                # INSERT below (unique), which rolls the work back, and the retry replays.
                stored = self._stored(session, msgid) if attempt else None
                if stored is not None:
                    return self._replay(stored, envelope, fingerprint)
                try:
                    return self._work_and_store(session, envelope, fingerprint)
                except (StaleRow, IntegrityError, OperationalError) as err:
                    # Lost a race (or the database was busy): start again from fresh reads;
                    # a concurrent twin of this msgid is then found stored above.
                    session.rollback()
                    if isinstance(err, OperationalError) and not _transient(err):
                        raise
                    if not isinstance(err, IntegrityError):  # a repeated msgid replays at once
                        time.sleep(min(0.005 * (attempt + 1), 0.1))
            raise RuntimeError("the mock insurer could not complete the message")

    def _work_and_store(self, session: Session, envelope: dict, fingerprint: str) -> dict:
        infno = envelope["infno"]
        try:
            answer = self._reply(envelope, 0, self._handlers[infno](session, envelope))
        except Refusal as refusal:
            session.rollback()
            answer = self._reply(envelope, -1, None, refusal.err_msg)
        session.add(
            MiMessage(
                msgid=envelope["msgid"],
                infno=infno,
                fingerprint=fingerprint,
                infcode=answer["infcode"],
                response=answer,
            )
        )
        session.commit()
        return answer

    # --- inspection (tests and the mock's own pages) ---

    def settlements_for(self, med_org_ord: str) -> list[MiSettlement]:
        with self.sessions() as session:
            return list(session.scalars(select(MiSettlement).filter_by(med_org_ord=med_org_ord)))

    def balance_of(self, psn_no: str) -> int:
        with self.sessions() as session:
            return session.scalar(select(MiPerson.balc).filter_by(psn_no=psn_no))
