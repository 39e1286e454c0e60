"""API of the network: hospitals, departments and doctors (reading is public; changes are admin's)."""

from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import roles_required
from core.models import Role, User
from hospital.api.remembered import remembered
from hospital.models.network import Department, Doctor, Hospital
from hospital.models.rota import Shift
from hospital.schemas.network import (
    DepartmentQuerySchema,
    DepartmentSchema,
    DoctorCreateSchema,
    DoctorQuerySchema,
    DoctorSchema,
    DoctorUpdateSchema,
    HospitalQuerySchema,
    HospitalSchema,
    HospitalUpdateSchema,
)
from hospital.services import duty, network

blp = Blueprint("network", __name__, url_prefix="/api", description="Hospitals, departments and doctors")


@blp.get("/hospitals")
@remembered(Hospital)
@blp.arguments(HospitalQuerySchema, location="query")
@blp.response(200, HospitalSchema(many=True))
def list_hospitals(query):
    """The hospitals of the network."""
    return network.list_hospitals(**query)


@blp.post("/hospitals")
@roles_required(Role.ADMIN)
@blp.arguments(HospitalSchema)
@blp.response(201, HospitalSchema)
def create_hospital(data):
    """Add a hospital to the network (administrators)."""
    return network.create_hospital(**data)


@blp.get("/hospitals/<int:hospital_id>")
@blp.response(200, HospitalSchema)
def get_hospital(hospital_id):
    return network.get_hospital(hospital_id)


@blp.patch("/hospitals/<int:hospital_id>")
@roles_required(Role.ADMIN)
@blp.arguments(HospitalUpdateSchema)
@blp.response(200, HospitalSchema)
def update_hospital(data, hospital_id):
    """Change a hospital (administrators)."""
    return network.update_hospital(hospital_id, **data)


@blp.get("/departments")
@remembered(Department)
@blp.arguments(DepartmentQuerySchema, location="query")
@blp.response(200, DepartmentSchema(many=True))
def list_departments(query):
    """Departments, of one hospital or all."""
    return network.list_departments(query["hospital_id"])


@blp.post("/departments")
@roles_required(Role.ADMIN)
@blp.arguments(DepartmentSchema)
@blp.response(201, DepartmentSchema)
def create_department(data):
    """Add a department to a hospital (administrators)."""
    return network.create_department(**data)


@blp.get("/doctors")
@remembered(Doctor, User, Hospital, Department, Shift, until=duty.next_change)
@blp.arguments(DoctorQuerySchema, location="query")
@blp.response(200, DoctorSchema(many=True))
def list_doctors(query):
    """Doctors; `?department=…&on_duty=true` answers who is on duty now."""
    return network.list_doctors(
        department_id=query["department"],
        hospital_id=query["hospital"],
        on_duty=query["on_duty"],
        title=query["title"],
        q=query["q"],
    )


@blp.post("/doctors")
@roles_required(Role.ADMIN)
@blp.arguments(DoctorCreateSchema)
@blp.response(201, DoctorSchema)
def create_doctor(data):
    """Create a doctor's account and profile (administrators)."""
    return network.create_doctor(**data)


@blp.get("/doctors/<int:doctor_id>")
@blp.response(200, DoctorSchema)
def get_doctor(doctor_id):
    return network.get_doctor(doctor_id)


@blp.patch("/doctors/<int:doctor_id>")
@roles_required(Role.ADMIN)
@blp.arguments(DoctorUpdateSchema)
@blp.response(200, DoctorSchema)
def update_doctor(data, doctor_id):
    """Change a doctor's department, title or practice dates (administrators)."""
    return network.update_doctor(doctor_id, **data)
