"""Persons and their e-vouchers: who a voucher names (1101), his chronic filings (5301), and the
insurance record every resident has (derived from the resident ID the first time he is seen)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from insurance.envelope import fen, yuan
from insurance.mock_insurer import residents, tokens
from insurance.mock_insurer.common import Refusal, hmac_hex, mask
from insurance.mock_insurer.models import MiAccumulator, MiChronicFiling, MiPerson, MiUsedVoucher

VOUCHER_TEXTS = {"expired": "电子凭证已过期，请刷新", "forged": "电子凭证无效", "malformed": "电子凭证无效"}


class Persons:
    """Mixed into MockInsurer: looking persons up, by resident ID, psn_no or voucher."""

    def certno_hash(self, certno: str) -> str:
        return hmac_hex(self.secret, certno.strip().upper())

    def _person_by_psn(self, session: Session, psn_no: str) -> MiPerson:
        person = session.scalar(select(MiPerson).filter_by(psn_no=psn_no))
        if person is None:
            raise Refusal("not_insured", "查无此参保人")
        return person

    def _new_psn_no(self, digest: str) -> str:
        return f"{self.admdvs[:2]}{int(digest[:20], 16) % 10**18:018d}"

    def _insured_person(self, session: Session, certno: str, name: str | None = None) -> MiPerson:
        """The person with this resident ID; a resident not seen before is insured as derived."""
        certno = certno.strip().upper()
        if self.faults.uninsured(certno):
            raise Refusal("not_insured", "未查询到参保信息")
        digest = self.certno_hash(certno)
        person = session.scalar(select(MiPerson).filter_by(certno_hash=digest))
        if person is not None:
            return person
        derived = residents.derive(certno, self.policy, clock.today())
        if derived is None:
            raise Refusal("not_insured", "未查询到参保信息")
        try:
            with session.begin_nested():
                return self._add_derived(session, certno, digest, name, derived)
        except IntegrityError:  # the same resident, derived at the same moment by another call
            return session.scalar(select(MiPerson).filter_by(certno_hash=digest))

    def _add_derived(
        self, session: Session, certno: str, digest: str, name: str | None, derived: residents.Derived
    ) -> MiPerson:
        person = MiPerson(
            psn_no=self._new_psn_no(digest),
            certno_hash=digest,
            certno_masked=mask(certno),
            psn_name=(name or "参保人")[:64],
            gend=derived.gend,
            brdy=derived.brdy,
            insutype=derived.insutype,
            insuplc_admdvs=derived.insuplc_admdvs,
            balc=derived.balc,
            version=1,
        )
        session.add(person)
        session.flush()
        self._set_year(
            session, person, {med: {"deductible_used": yuan(v)} for med, v in derived.deductible_used.items()}
        )
        session.flush()
        return person

    def _person_by_voucher(self, session: Session, data: dict) -> tuple[MiPerson, tokens.VoucherClaims]:
        """The person a voucher names, refusing forged, expired, used or someone else's vouchers."""
        try:
            claims = tokens.verify(self.secret, data.get("mdtrt_cert_no", ""), clock.now())
        except tokens.TokenError as err:
            raise Refusal(f"voucher_{err.reason}", VOUCHER_TEXTS[err.reason]) from None
        # One query: the person with whether this voucher was spent (an outer join on its nonce).
        found = session.execute(
            select(MiPerson, MiUsedVoucher.id)
            .outerjoin(MiUsedVoucher, MiUsedVoucher.nonce == claims.nonce)
            .where(MiPerson.psn_no == claims.psn_no)
            .limit(1)
        ).first()
        if found is None:
            raise Refusal("not_insured", "查无此参保人")
        person, spent = found
        if spent is not None:
            raise Refusal("voucher_used", "电子凭证已使用，请刷新")
        certno = data.get("certno")
        if (certno and self.certno_hash(certno) != person.certno_hash) or (
            data.get("psn_no") and data["psn_no"] != person.psn_no
        ):
            raise Refusal("voucher_not_yours", "电子凭证与就诊人不符")
        return person, claims

    def _person_info(self, session: Session, envelope: dict) -> dict:
        """1101: who the voucher belongs to, and his insurance."""
        data = envelope["input"].get("data", {})
        if data.get("mdtrt_cert_type", "01") != "01":
            raise Refusal("cert_type", "仅支持医保电子凭证")
        person, _claims = self._person_by_voucher(session, data)
        return {
            "baseinfo": {
                "psn_no": person.psn_no,
                "psn_cert_type": "01",
                "certno": person.certno_masked,
                "psn_name": person.psn_name,
                "gend": person.gend or "",
                "brdy": person.brdy.isoformat() if person.brdy else "",
            },
            "insuinfo": [
                {
                    "balc": yuan(person.balc),
                    "insutype": person.insutype,
                    "psn_type": person.psn_type,
                    "psn_insu_stas": person.psn_insu_stas,
                    "insuplc_admdvs": person.insuplc_admdvs,
                }
            ],
        }

    def _chronic_filings(self, session: Session, envelope: dict) -> dict:
        """5301: the person's chronic / special disease filings."""
        psn_no = envelope["input"].get("data", {}).get("psn_no", "")
        # One query: the person (none: not insured) with his filings (an outer join: maybe none).
        found = session.execute(
            select(MiPerson.id, MiChronicFiling)
            .outerjoin(MiChronicFiling, MiChronicFiling.psn_id == MiPerson.id)
            .where(MiPerson.psn_no == psn_no)
            .order_by(MiChronicFiling.id)
        ).all()
        if not found:
            raise Refusal("not_insured", "查无此参保人")
        rows = [filing for _person_id, filing in found if filing is not None]
        return {
            "feedetail": [
                {
                    "opsp_dise_code": f.opsp_dise_code,
                    "opsp_dise_name": f.opsp_dise_name,
                    "begndate": f.begndate.isoformat() if f.begndate else "",
                    "enddate": f.enddate.isoformat() if f.enddate else "",
                }
                for f in rows
            ]
        }

    def _set_filings(self, session: Session, person: MiPerson, filings: list[dict]) -> None:
        for old in session.scalars(select(MiChronicFiling).filter_by(psn_id=person.id)):
            session.delete(old)
        session.flush()
        for f in filings:
            session.add(
                MiChronicFiling(
                    psn_id=person.id,
                    opsp_dise_code=f["code"],
                    opsp_dise_name=f.get("name", f["code"]),
                    begndate=date.fromisoformat(f["begndate"]) if f.get("begndate") else None,
                    enddate=date.fromisoformat(f["enddate"]) if f.get("enddate") else None,
                )
            )

    def _set_year(self, session: Session, person: MiPerson, ytd: dict) -> None:
        """Set this year's counters, e.g. {"11": {"deductible_used": "800.00", "fund_paid": "0"}}."""
        year = clock.local_now().year
        for old in session.scalars(select(MiAccumulator).filter_by(psn_id=person.id, year=year)):
            session.delete(old)
        session.flush()
        for med_type, values in ytd.items():
            session.add(
                MiAccumulator(
                    psn_id=person.id,
                    year=year,
                    med_type=med_type,
                    version=0,
                    medfee=0,
                    deductible_used=fen(values.get("deductible_used", "0")),
                    fund_paid=fen(values.get("fund_paid", "0")),
                )
            )
