"""Schemas of prescriptions: writing, checking, reviewing, reading and public verification."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from hospital.schemas.patients import ActiveMedicationSchema, AllergySchema, DiagnosisSchema
from hospital.services.prescription_safety import FREQUENCIES
from hospital.services.prescription_signing import OVERRIDE_REASONS


class RxItemInSchema(Schema):
    drug_code = fields.Str(required=True)
    dose = fields.Float(required=True, metadata={"description": "One dose, in the drug's dose_unit"})
    frequency = fields.Str(required=True, validate=validate.OneOf(list(FREQUENCIES)))
    days = BoundedInt(required=True, validate=validate.Range(min=1, max=365))
    route = fields.Str(load_default=None, allow_none=True)
    instructions = fields.Str(load_default="")


class RxDraftSchema(Schema):
    items = fields.List(fields.Nested(RxItemInSchema), required=True)
    long_prescription = fields.Bool(load_default=False)
    long_reason = fields.Str(load_default="")
    acute = fields.Bool(load_default=None, allow_none=True, metadata={"description": "Default: not chronic"})
    validity_days = BoundedInt(load_default=1, metadata={"description": "1 (issue day) to 3"})
    note = fields.Str(load_default="")
    icd10 = fields.Str(load_default=None, allow_none=True, metadata={"description": "Must equal the consultation's"})


class RxCreateSchema(RxDraftSchema):
    consultation_id = BoundedInt(required=True)


class RxCheckSchema(RxCreateSchema):
    prescription_id = BoundedInt(
        load_default=None, allow_none=True, metadata={"description": "The draft being edited (not its own history)"}
    )


class RxEarlierSchema(Schema):
    prescription_id = BoundedInt()
    code = fields.Str()
    drug_code = fields.Str()
    name = fields.Str()
    supply_until = fields.Str(metadata={"description": "Last day the earlier supply covers"})


class RxFindingSchema(Schema):
    code = fields.Str()
    severity = fields.Str(metadata={"description": "block (refused) or warn (needs an override reason)"})
    message = fields.Str()
    drugs = fields.List(fields.Str())
    field = fields.Str()
    earlier = fields.Nested(
        RxEarlierSchema, allow_none=True, metadata={"description": "The earlier prescription still in supply"}
    )


class RxCheckResultSchema(Schema):
    findings = fields.List(fields.Nested(RxFindingSchema))
    blocking = BoundedInt()
    warnings = BoundedInt()
    quantities = fields.List(BoundedInt(allow_none=True))


class RxSignSchema(Schema):
    override_code = fields.Str(
        load_default="",
        validate=validate.OneOf(["", *OVERRIDE_REASONS]),
        metadata={"description": "Required with warnings: " + ", ".join(OVERRIDE_REASONS)},
    )
    override_reason = fields.Str(
        load_default="", metadata={"description": "Required with warnings: the doctor's own words (not a bare 'ok')"}
    )


class RxReviewSchema(Schema):
    decision = fields.Str(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.Str(load_default="")


class RxRenewSchema(Schema):
    mode = fields.Str(load_default="text", validate=validate.OneOf(["text", "voice", "video"]))
    complaint = fields.Str(load_default="")


class RxListQuerySchema(Schema):
    status = fields.Str(load_default=None)
    consultation_id = BoundedInt(load_default=None)


class RxItemSchema(Schema):
    position = BoundedInt()
    drug_code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    strength = fields.Str()
    dose = fields.Float()
    dose_unit = fields.Str()
    frequency = fields.Str()
    route = fields.Str()
    days = BoundedInt()
    quantity = BoundedInt(metadata={"description": "Packages"})
    package_unit_zh = fields.Str()
    package_unit_en = fields.Str()
    unit_price_fen = BoundedInt()
    total_fen = BoundedInt()
    insurance_class = fields.Str()
    cold_chain = fields.Bool()
    instructions = fields.Str()


class RxPersonSchema(Schema):
    id = BoundedInt()
    name = fields.Str()


class PrescriptionSchema(Schema):
    id = BoundedInt()
    code = fields.Str()
    status = fields.Str(attribute="effective_status")
    version = BoundedInt()
    consultation_id = BoundedInt()
    patient_id = BoundedInt()
    patient = fields.Nested(RxPersonSchema)
    doctor_user = fields.Nested(RxPersonSchema, data_key="doctor")
    reviewer = fields.Nested(RxPersonSchema, data_key="pharmacist", allow_none=True)
    hospital_id = BoundedInt()
    icd10 = fields.Str()
    diagnosis_name = fields.Str()
    chronic = fields.Bool()
    acute = fields.Bool()
    long_prescription = fields.Bool()
    long_reason = fields.Str()
    validity_days = BoundedInt()
    note = fields.Str()
    findings = fields.List(fields.Nested(RxFindingSchema))
    override_code = fields.Str()
    override_reason = fields.Str()
    reject_reason = fields.Str()
    revision_of_id = BoundedInt(allow_none=True)
    renewal_of_id = BoundedInt(allow_none=True)
    created_at = LocalDateTime()
    signed_at = LocalDateTime(allow_none=True)
    valid_until = LocalDateTime(allow_none=True)
    reviewed_at = LocalDateTime(allow_none=True)
    paid_at = LocalDateTime(allow_none=True)
    dispensed_at = LocalDateTime(allow_none=True)
    total_fen = BoundedInt()
    items = fields.List(fields.Nested(RxItemSchema))
    integrity = fields.Dict(metadata={"description": "doctor_signature, review_signature, genuine"})


class RxVerifyItemSchema(Schema):
    name = fields.Str()
    strength = fields.Str()
    quantity = BoundedInt()
    unit = fields.Str()


class RxVerifySchema(Schema):
    """Only what the paper shows, plus whether it is genuine, approved, valid and dispensed."""

    code = fields.Str()
    genuine = fields.Bool()
    status = fields.Str()
    approved = fields.Bool()
    valid = fields.Bool()
    dispensed = fields.Bool()
    dispensed_at = LocalDateTime(allow_none=True)
    hospital = fields.Str()
    patient_name = fields.Str()
    patient_id_number = fields.Str(allow_none=True)
    diagnosis = fields.Str()
    icd10 = fields.Str()
    doctor_name = fields.Str()
    pharmacist_name = fields.Str(allow_none=True)
    signed_at = LocalDateTime(allow_none=True)
    valid_until = LocalDateTime(allow_none=True)
    items = fields.List(fields.Nested(RxVerifyItemSchema))


class RxConsultationRefSchema(Schema):
    id = BoundedInt()
    status = fields.Str()
    renewal_of_prescription_id = BoundedInt(allow_none=True)


class RxReviewViewSchema(Schema):
    """What the reviewing pharmacist sees: the prescription and the patient's clinical background."""

    prescription = fields.Nested(PrescriptionSchema, attribute="rx")
    age = BoundedInt(allow_none=True)
    sex = fields.Str(allow_none=True)
    allergies = fields.List(fields.Nested(AllergySchema))
    diagnoses = fields.List(fields.Nested(DiagnosisSchema), metadata={"description": "Confirmed diagnoses"})
    medications = fields.List(fields.Nested(ActiveMedicationSchema), metadata={"description": "Other drugs in supply"})
    override_label = fields.Str(metadata={"description": "The doctor's coded override reason, in words"})


class MedicineSchema(Schema):
    """One current medicine of the patient (我的用药): when it runs out, and what renewing it opens."""

    prescription_id = BoundedInt(metadata={"description": "The prescription a renewal of this medicine copies."})
    name = fields.Str()
    name_en = fields.Str()
    strength = fields.Str()
    runs_out_on = fields.Date()
    days_left = BoundedInt()
    renew_soon = fields.Bool(metadata={"description": "Fewer than 7 days left: the renew button stands out."})
    diagnosis = fields.Str(metadata={"description": "What the prescription was written for (the renewal's)."})
    department = fields.Str()
    department_en = fields.Str()
