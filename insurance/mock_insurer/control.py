"""The mock's control plane (not national): enrol a person as the tests and demo need him, set
faults, and issue the voucher the patient's phone app would show."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from insurance.envelope import fen
from insurance.mock_insurer import tokens
from insurance.mock_insurer.common import mask
from insurance.mock_insurer.models import MiPerson


class Control:
    """Mixed into MockInsurer: M001 enrol, M002 faults, M004 voucher."""

    def _enroll(self, session: Session, inp: dict) -> dict:
        """M001: insure a person (idempotent by resident ID); `reset` rewrites balance and year.

        A new person takes `ytd` (this year's counters) at once; an existing one only with reset.
        """
        data = inp.get("data", {})
        certno = str(data["certno"]).strip().upper()
        digest = self.certno_hash(certno)
        person = session.scalar(select(MiPerson).filter_by(certno_hash=digest))
        fresh = person is None
        if fresh:
            person = MiPerson(
                psn_no=self._new_psn_no(digest),
                certno_hash=digest,
                certno_masked=mask(certno),
                balc=0,
                version=0,
                insuplc_admdvs=data.get("insuplc_admdvs", self.admdvs),
            )
            session.add(person)
        person.psn_name = data["psn_name"]
        person.insutype = data.get("insutype", "310")
        person.gend = data.get("gend")
        person.brdy = date.fromisoformat(data["brdy"]) if data.get("brdy") else None
        if fresh or data.get("reset"):
            person.balc = fen(data.get("balc", "0"))
            person.version = (person.version or 0) + 1
        session.flush()
        if "chronic" in data:
            self._set_filings(session, person, data["chronic"])
        if data.get("reset") or (fresh and "ytd" in data):
            self._set_year(session, person, data.get("ytd", {}))
        session.commit()
        return {"psn_no": person.psn_no, "created": fresh}

    def _set_faults(self, _session: Session, inp: dict) -> dict:
        """M002: change the faults (an empty `data` just reads them)."""
        data = inp.get("data", {})
        return {
            "faults": self.faults.update(data, replace=bool(inp.get("replace")))
            if data or inp.get("replace")
            else self.faults.current()
        }

    def _issue_voucher(self, session: Session, inp: dict) -> dict:
        """M004: what the patient's phone app shows: a fresh, signed, short-lived voucher."""
        data = inp.get("data", {})
        person = self._insured_person(session, str(data.get("certno", "")), data.get("psn_name"))
        session.commit()
        ttl = int(self.policy["voucher_ttl_seconds"])
        now = clock.now()
        return {
            "ecToken": tokens.issue(self.secret, person.psn_no, now, ttl),
            "expires_at": (now + timedelta(seconds=ttl)).isoformat(),
            "psn_name": person.psn_name,
        }
