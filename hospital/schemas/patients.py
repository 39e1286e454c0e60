"""Schemas of a patient's clinical background: confirmed diagnoses, allergies, history."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class DiagnosisSchema(Schema):
    id = fields.Int(dump_only=True)
    hospital_name = fields.Str(required=True, validate=validate.Length(max=100))
    diagnosis = fields.Str(required=True, validate=validate.Length(max=200))
    icd10 = fields.Str(required=True, metadata={"description": "ICD-10 code, e.g. I10 or E11.9"})
    diagnosed_on = fields.Date(required=True, metadata={"description": "Date of the in-person visit"})
    stable = fields.Bool(dump_only=True)


class HistorySchema(Schema):
    patient = fields.Dict()
    consultations = fields.List(fields.Dict())
    diagnoses = fields.List(fields.Dict())
    allergies = fields.List(fields.Dict())
    prescriptions = fields.List(fields.Dict(), metadata={"description": "Filled by the prescriptions area"})
