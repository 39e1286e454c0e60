"""Plain data that crosses the gateway: claims, insured persons, splits, ledger rows.

Other packages build a `Claim` and get back `Split` / `SettlementView`; they never see models.
Money is integer fen. Catalogue classes use the interface's `chrgitm_lv` codes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from core.errors import NotFound, ValidationFailed

CLASS_A, CLASS_B, CLASS_C = "01", "02", "03"  # 甲类 / 乙类 / 丙类
CLASSES = (CLASS_A, CLASS_B, CLASS_C)
_CLASS_ALIASES = {"A": CLASS_A, "B": CLASS_B, "C": CLASS_C, "01": CLASS_A, "02": CLASS_B, "03": CLASS_C}

MED_TYPE_OUTPATIENT = "11"  # 普通门诊
MED_TYPE_CHRONIC = "14"  # 门诊慢特病
INSUTYPE_EMPLOYEE = "310"
INSUTYPE_RESIDENT = "390"


def class_code(value: str) -> str:
    """'A'/'B'/'C' or '01'/'02'/'03' -> the chrgitm_lv code."""
    try:
        return _CLASS_ALIASES[str(value).upper()]
    except KeyError:
        raise ValidationFailed(
            "invalid_drug_class", _l("Unknown insurance class %(value)s."), field="drug_class", value=value
        ) from None


@dataclass(frozen=True)
class ClaimLine:
    """One item of the bill: a drug (or service) from the catalogue."""

    code: str  # med_list_codg
    name: str
    drug_class: str  # chrgitm_lv: "01" A, "02" B, "03" C (A/B/C accepted)
    quantity: int
    unit_price_fen: int
    total_fen: int | None = None  # defaults to quantity × unit price

    def __post_init__(self):
        object.__setattr__(self, "drug_class", class_code(self.drug_class))
        if self.total_fen is None:
            object.__setattr__(self, "total_fen", self.quantity * self.unit_price_fen)


@dataclass(frozen=True)
class Claim:
    """What the hospital asks the insurer to pay for: one order of one patient.

    `med_org_ord` is the hospital's order reference (the interface's medOrgOrd); it identifies
    the claim, and only one active settlement may exist for it. No voucher means self-pay.
    """

    med_org_ord: str
    lines: tuple[ClaimLine, ...]
    voucher_token: str | None = None
    certno: str | None = None  # the patient's resident ID: the voucher must be his
    chronic: bool = False  # a registered chronic disease: med_type 14 when the insurer agrees
    dise_codg: str | None = None  # ICD-10 code of the diagnosis
    dise_name: str | None = None
    patient_id: int | None = None
    prescription_id: int | None = None
    acct_used_flag: bool = True  # let the personal account pay the personal part

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))

    @property
    def medfee_sumamt(self) -> int:
        return sum(line.total_fen for line in self.lines)

    @property
    def self_pay(self) -> bool:
        return not self.voucher_token

    def validate(self) -> Claim:
        """Refuse a claim the insurer would refuse, with a message a person can act on."""
        if not self.med_org_ord or len(self.med_org_ord) > 40:
            raise ValidationFailed("invalid_order_reference", _l("The order reference is missing or too long."))
        if not self.lines:
            raise ValidationFailed("empty_claim", _l("There is nothing to pay for."))
        for line in self.lines:
            if line.quantity <= 0 or line.unit_price_fen < 0 or line.total_fen != line.quantity * line.unit_price_fen:
                raise ValidationFailed(
                    "invalid_claim_line", _l("The bill line for %(name)s does not add up."), name=line.name
                )
        return self

    def fingerprint(self) -> str:
        """A digest of what is charged, to recognise the same claim sent again."""
        parts = [self.med_org_ord, str(bool(self.voucher_token))]
        parts += [f"{ln.code}:{ln.drug_class}:{ln.quantity}:{ln.unit_price_fen}" for ln in self.lines]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ChronicFiling:
    code: str  # opsp_dise_code (ICD-10 prefix)
    name: str
    begndate: date | None = None
    enddate: date | None = None


@dataclass(frozen=True)
class InsuredPerson:
    """Who a voucher belongs to, from 1101 (person) and 5301 (chronic filings)."""

    psn_no: str
    name: str
    insutype: str  # 310 employee, 390 resident
    balance_fen: int  # personal-account balance (residents have none)
    certno_masked: str
    insuplc_admdvs: str
    chronic: tuple[ChronicFiling, ...] = ()

    def chronic_eligible(self, dise_codg: str | None, on: date | None = None) -> bool:
        """True when a filing covers this diagnosis (its code is a prefix of the ICD-10 code)."""
        if not dise_codg:
            return False
        code = dise_codg.upper()
        return any(
            code.startswith(f.code.upper())
            and (on is None or ((f.begndate is None or f.begndate <= on) and (f.enddate is None or on <= f.enddate)))
            for f in self.chronic
        )


@dataclass(frozen=True)
class Voucher:
    token: str
    expires_at: datetime
    psn_name: str


@dataclass(frozen=True)
class SplitLine:
    code: str
    name: str
    drug_class: str  # chrgitm_lv
    total_fen: int
    preselfpay_amt: int  # class B share paid first
    fulamt_ownpay_amt: int  # class C: all self-paid
    inscp_scp_amt: int  # what enters the reimbursable base


@dataclass(frozen=True)
class Split:
    """The insurer's division of a bill (2206/2207 setlinfo), in fen.

    medfee_sumamt = fund_pay_sumamt + acct_pay + psn_cash_pay.
    """

    medfee_sumamt: int
    fund_pay_sumamt: int
    hifp_pay: int
    acct_pay: int
    psn_cash_pay: int
    preselfpay_amt: int
    fulamt_ownpay_amt: int
    inscp_scp_amt: int
    act_pay_dedc: int
    balc: int  # personal-account balance after
    med_type: str
    insutype: str | None
    setl_type: str  # HI (insurance) or CASH (self-pay)
    lines: tuple[SplitLine, ...] = ()
    setl_id: str | None = None
    mdtrt_id: str | None = None
    psn_no: str | None = None
    setl_time: datetime | None = None

    @property
    def psn_part_amt(self) -> int:
        return self.acct_pay + self.psn_cash_pay


@dataclass(frozen=True)
class InsurerOrder:
    """The insurer's view of one order (6301): its status and amounts."""

    med_org_ord: str
    ord_stas: str  # 6 complete, 7 refunded, 13 insurance revoked (corrected)
    setl_id: str | None
    msgid: str | None
    split: Split | None


@dataclass(frozen=True)
class LedgerRow:
    """One settlement or reversal in a day's ledger (ours or the insurer's, 3202 detail)."""

    setl_id: str | None
    med_org_ord: str
    psn_no: str | None
    refd_setl_flag: str  # "0" settlement, "1" reversal
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    psn_cash_pay: int
    status: str


@dataclass(frozen=True)
class Totals:
    """3201 totals: settlements minus reversals for a period."""

    medfee_sumamt: int = 0
    fund_pay_sumamt: int = 0
    acct_pay: int = 0
    psn_cash_pay: int = 0
    count: int = 0

    @classmethod
    def of(cls, rows: list[LedgerRow]) -> Totals:
        def signed(row: LedgerRow, value: int) -> int:
            return -value if row.refd_setl_flag == "1" else value

        return cls(
            medfee_sumamt=sum(signed(r, r.medfee_sumamt) for r in rows),
            fund_pay_sumamt=sum(signed(r, r.fund_pay_sumamt) for r in rows),
            acct_pay=sum(signed(r, r.acct_pay) for r in rows),
            psn_cash_pay=sum(signed(r, r.psn_cash_pay) for r in rows),
            count=len(rows),
        )


@dataclass(frozen=True)
class Statement:
    """The insurer's answer to 3201: balanced or not, and why."""

    balanced: bool
    description: str
    theirs: Totals = field(default_factory=Totals)


# --- how presettle finds the claim for a prescription (insurance knows no prescriptions) ---

ClaimBuilder = Callable[[int, object], Claim]
_claim_builder: ClaimBuilder | None = None


def set_claim_builder(fn: ClaimBuilder | None) -> None:
    """Register fn(prescription_id, user) -> Claim; it raises NotFound/Forbidden/Conflict itself."""
    global _claim_builder
    _claim_builder = fn


def claim_builder() -> ClaimBuilder | None:
    """The registered builder (tests save and restore it)."""
    return _claim_builder


def build_claim(prescription_id: int, user) -> Claim:
    """The claim for a prescription, from the registered builder."""
    if _claim_builder is None:
        raise NotFound("claim_builder_missing", _l("Prescriptions cannot be paid for yet."))
    return _claim_builder(prescription_id, user).validate()
