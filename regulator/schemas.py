"""Schemas of the regulator's API (administrators only)."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from core.schemas import LocalDateTime
from regulator.models import ReportStatus
from regulator.reports import REPORT_TYPES


class RegulatorReportQuerySchema(Schema):
    status = fields.Str(load_default=None, validate=validate.OneOf([str(s) for s in ReportStatus]))
    limit = BoundedInt(load_default=50, validate=validate.Range(min=1, max=500))


class RegulatorReportSchema(Schema):
    id = BoundedInt()
    msgid = fields.Str()
    report_type = fields.Str(metadata={"enum": list(REPORT_TYPES)})
    record_id = BoundedInt()
    subject_no = fields.Str(metadata={"description": "the reported record's number, as sent"})
    occurred_at = LocalDateTime()
    status = fields.Str(metadata={"enum": [str(s) for s in ReportStatus]})
    attempts = BoundedInt()
    next_attempt_at = LocalDateTime()
    last_error = fields.Str(metadata={"description": "the last problem, or the platform's reason for refusing"})
    error_field = fields.Str(metadata={"description": "the field the platform named when refusing"})
    receipt_no = fields.Str()
    sent_at = LocalDateTime(allow_none=True)
    payload = fields.Dict(metadata={"description": "the report's data as sent (docs/regulator.md)"})


class RegulatorDrainSchema(Schema):
    sent = fields.List(fields.Str())
    failed = fields.List(fields.Str())
    retrying = fields.List(fields.Str())


class RegulatorReconcileInputSchema(Schema):
    date = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD, local; default today"})


class RegulatorTypeCountsSchema(Schema):
    ours = BoundedInt()
    theirs = BoundedInt()


class RegulatorReconciliationSchema(Schema):
    day = fields.Date()
    balanced = fields.Bool()
    counts = fields.Dict(keys=fields.Str(), values=fields.Nested(RegulatorTypeCountsSchema))
    error = fields.Str()
    checked_at = LocalDateTime()
