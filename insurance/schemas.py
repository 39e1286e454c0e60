"""Insurance API schemas. Amounts are integer fen; field names follow the national interface."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime

FEN = {"description": "fen (1/100 yuan)"}


class VoucherTokenSchema(Schema):
    token = fields.Str(required=True, validate=validate.Length(min=1, max=512), metadata={"description": "ecToken"})


class EVoucherSchema(Schema):
    token = fields.Str(metadata={"description": "The e-voucher (ecToken), valid about a minute, single use"})
    expires_at = LocalDateTime()
    psn_name = fields.Str()


class ChronicFilingSchema(Schema):
    code = fields.Str(metadata={"description": "opsp_dise_code (ICD-10 prefix)"})
    name = fields.Str()
    begndate = fields.Date(allow_none=True)
    enddate = fields.Date(allow_none=True)


class InsuredPersonSchema(Schema):
    psn_no = fields.Str()
    name = fields.Str()
    insutype = fields.Str(metadata={"description": "310 employee, 390 resident"})
    balance_fen = BoundedInt(metadata={"description": "Personal-account balance, fen"})
    certno_masked = fields.Str(metadata={"description": "Resident ID, masked"})
    insuplc_admdvs = fields.Str()
    chronic = fields.List(fields.Nested(ChronicFilingSchema), metadata={"description": "Chronic-disease filings"})


class PresettleSchema(Schema):
    prescription_id = BoundedInt(required=True)
    token = fields.Str(load_default=None, allow_none=True, metadata={"description": "ecToken; none: self-pay"})


class SettlementSplitLineSchema(Schema):
    code = fields.Str()
    name = fields.Str()
    drug_class = fields.Str(metadata={"description": "chrgitm_lv: 01 class A, 02 class B, 03 class C"})
    total_fen = BoundedInt(metadata=FEN)
    preselfpay_amt = BoundedInt(metadata=FEN)
    fulamt_ownpay_amt = BoundedInt(metadata=FEN)
    inscp_scp_amt = BoundedInt(metadata=FEN)


class SettlementSplitSchema(Schema):
    """medfee_sumamt = fund_pay_sumamt + acct_pay + psn_cash_pay."""

    medfee_sumamt = BoundedInt(metadata=FEN)
    fund_pay_sumamt = BoundedInt(metadata={"description": "Paid by the pooled fund, fen"})
    hifp_pay = BoundedInt(metadata=FEN)
    acct_pay = BoundedInt(metadata={"description": "Paid from the personal account, fen"})
    psn_cash_pay = BoundedInt(metadata={"description": "Paid in cash by the patient, fen"})
    psn_part_amt = BoundedInt(metadata=FEN)
    preselfpay_amt = BoundedInt(metadata=FEN)
    fulamt_ownpay_amt = BoundedInt(metadata=FEN)
    inscp_scp_amt = BoundedInt(metadata=FEN)
    act_pay_dedc = BoundedInt(metadata={"description": "Deductible applied, fen"})
    balc = BoundedInt(metadata={"description": "Personal-account balance after, fen"})
    med_type = fields.Str(metadata={"description": "11 outpatient, 14 chronic-disease outpatient"})
    insutype = fields.Str(allow_none=True)
    setl_type = fields.Str(metadata={"description": "HI insurance, CASH self-pay"})
    lines = fields.List(fields.Nested(SettlementSplitLineSchema))


class InsuranceSettlementSchema(Schema):
    id = BoundedInt()
    med_org_ord = fields.Str()
    status = fields.Str(metadata={"description": "pending, settled, failed, unknown, reversing, reversed"})
    pay_kind = fields.Str()
    msgid = fields.Str()
    setl_id = fields.Str(allow_none=True)
    psn_no = fields.Str(allow_none=True)
    med_type = fields.Str()
    medfee_sumamt = BoundedInt(metadata=FEN)
    fund_pay_sumamt = BoundedInt(metadata=FEN)
    acct_pay = BoundedInt(metadata=FEN)
    psn_cash_pay = BoundedInt(metadata=FEN)
    created_at = LocalDateTime()
    settled_at = LocalDateTime(allow_none=True)
    reversed_at = LocalDateTime(allow_none=True)
    last_error = fields.Str(allow_none=True)


class InsuranceDayQuerySchema(Schema):
    date = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD, local; default today"})


class LedgerTotalsSchema(Schema):
    medfee_sumamt = BoundedInt(metadata=FEN)
    fund_pay_sumamt = BoundedInt(metadata=FEN)
    acct_pay = BoundedInt(metadata=FEN)
    psn_cash_pay = BoundedInt(metadata=FEN)
    count = BoundedInt()


class ReconciliationDifferenceSchema(Schema):
    kind = fields.Str(
        metadata={"description": "missing_at_insurer, missing_here, amount_mismatch, status_mismatch, unresolved"}
    )
    med_org_ord = fields.Str()
    setl_id = fields.Str(allow_none=True)
    refd_setl_flag = fields.Str(metadata={"description": "0 settlement, 1 reversal"})
    field = fields.Str(allow_none=True)
    ours = fields.Raw(allow_none=True)
    theirs = fields.Raw(allow_none=True)


class InsurerStatementSchema(Schema):
    balanced = fields.Bool()
    description = fields.Str()


class ReconciliationSchema(Schema):
    date = fields.Date(attribute="day")
    balanced = fields.Bool()
    statement = fields.Nested(
        InsurerStatementSchema, metadata={"description": "The insurer's 3201 verdict on our totals"}
    )
    ours = fields.Nested(LedgerTotalsSchema)
    theirs = fields.Nested(LedgerTotalsSchema)
    differences = fields.List(fields.Nested(ReconciliationDifferenceSchema))


class MockFaultsSchema(Schema):
    delay_ms = BoundedInt(validate=validate.Range(min=0, max=60_000))
    delay_after_ms = BoundedInt(validate=validate.Range(min=0, max=60_000))
    fail = fields.Bool()
    fail_next = BoundedInt(validate=validate.Range(min=0, max=1000))
    timeout_after_charge = fields.Bool()
    hang_ms = BoundedInt(validate=validate.Range(min=0, max=120_000))
    infnos = fields.List(fields.Str(validate=validate.Length(equal=4)))
    uninsured = fields.List(
        fields.Str(validate=validate.Length(min=1, max=18)),
        metadata={"description": 'Resident IDs the mock treats as not insured; "*" for everyone'},
    )
    replace = fields.Bool(load_only=True, load_default=False, metadata={"description": "Reset the faults not given"})


class SettlementResolutionSchema(Schema):
    med_org_ord = fields.Str()
    msgid = fields.Str()
    before = fields.Str()
    after = fields.Str()
    how = fields.Str()
