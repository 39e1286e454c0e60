"""Schemas of the network: hospitals, departments, doctors."""

from __future__ import annotations

from marshmallow import fields, validate

from core.fields import BoundedInt
from core.schema import Schema
from hospital.models.network import DoctorTitle, HospitalLevel


class HospitalSchema(Schema):
    id = BoundedInt(dump_only=True)
    code = fields.Str(required=True, validate=validate.Length(min=2, max=12))
    name_zh = fields.Str(required=True, validate=validate.Length(min=2, max=100))
    name_en = fields.Str(required=True, validate=validate.Length(min=2, max=160))
    level = fields.Str(
        load_default=HospitalLevel.MEMBER.value, validate=validate.OneOf([x.value for x in HospitalLevel])
    )
    city = fields.Str(load_default="")
    active = fields.Bool(dump_only=True)


class HospitalUpdateSchema(Schema):
    name_zh = fields.Str(validate=validate.Length(min=2, max=100))
    name_en = fields.Str(validate=validate.Length(min=2, max=160))
    level = fields.Str(validate=validate.OneOf([x.value for x in HospitalLevel]))
    city = fields.Str()
    active = fields.Bool()


class HospitalQuerySchema(Schema):
    level = fields.Str(load_default=None)
    q = fields.Str(load_default=None)


class DepartmentSchema(Schema):
    id = BoundedInt(dump_only=True)
    hospital_id = BoundedInt(required=True)
    code = fields.Str(required=True, validate=validate.Length(min=1, max=20))
    name_zh = fields.Str(required=True, validate=validate.Length(min=2, max=60))
    name_en = fields.Str(required=True, validate=validate.Length(min=2, max=100))


class DepartmentQuerySchema(Schema):
    hospital_id = BoundedInt(load_default=None)


class DoctorSchema(Schema):
    id = BoundedInt(dump_only=True)
    user_id = BoundedInt(dump_only=True)
    name = fields.Str(attribute="user.name", dump_only=True)
    username = fields.Str(attribute="user.username", dump_only=True)
    hospital_id = BoundedInt()
    hospital_name_zh = fields.Str(attribute="hospital.name_zh", dump_only=True)
    hospital_name_en = fields.Str(attribute="hospital.name_en", dump_only=True)
    department_id = BoundedInt()
    department_name_zh = fields.Str(attribute="department.name_zh", dump_only=True)
    department_name_en = fields.Str(attribute="department.name_en", dump_only=True)
    title = fields.Str(validate=validate.OneOf([x.value for x in DoctorTitle]))
    practice_since = fields.Date()
    license_no = fields.Str()
    specialty = fields.Str()


class DoctorCreateSchema(Schema):
    username = fields.Str(required=True)
    name = fields.Str(required=True)
    password = fields.Str(required=True, load_only=True)
    phone = fields.Str(load_default=None, allow_none=True)
    hospital_id = BoundedInt(required=True)
    department_id = BoundedInt(required=True)
    title = fields.Str(required=True, validate=validate.OneOf([x.value for x in DoctorTitle]))
    practice_since = fields.Date(required=True, metadata={"description": "Start of independent practice"})
    license_no = fields.Str(load_default="")
    specialty = fields.Str(load_default="")


class DoctorUpdateSchema(Schema):
    department_id = BoundedInt()
    title = fields.Str(validate=validate.OneOf([x.value for x in DoctorTitle]))
    practice_since = fields.Date()
    license_no = fields.Str()
    specialty = fields.Str()


class DoctorQuerySchema(Schema):
    department = BoundedInt(load_default=None, metadata={"description": "Department id"})
    hospital = BoundedInt(load_default=None, metadata={"description": "Hospital id"})
    on_duty = fields.Bool(load_default=None, metadata={"description": "true: only doctors on a shift now"})
    title = fields.Str(load_default=None)
    q = fields.Str(load_default=None, metadata={"description": "Part of the doctor's name"})
