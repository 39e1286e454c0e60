"""Demo expert panel: experts of member hospitals and one severe case with 15 invited experts
(a leader among them) and the requesting doctor, its room open. Idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from core import accounts, clock
from core.extensions import db
from hospital.models.expert import ExpertCase
from hospital.services import expert, network

CASE_TITLE = "慢阻肺急性加重合并呼吸衰竭多学科会诊"

# username, name, member-hospital index (in code order), department code, names, title
EXPERTS = [
    ("exp01", "严华生", 0, "RESP", "呼吸与危重症医学科", "Respiratory and Critical Care Medicine", "chief"),
    ("exp02", "柯美玲", 1, "RESP", "呼吸与危重症医学科", "Respiratory and Critical Care Medicine", "chief"),
    ("exp03", "施国平", 10, "CARD", "心血管内科", "Cardiology", "chief"),
    ("exp04", "郭晓燕", 11, "ICU", "重症医学科", "Critical Care Medicine", "associate_chief"),
    ("exp05", "洪志远", 20, "INFE", "感染科", "Infectious Diseases", "chief"),
    ("exp06", "翁丽君", 21, "NEPH", "肾内科", "Nephrology", "associate_chief"),
    ("exp07", "苏建新", 30, "RADI", "医学影像科", "Radiology", "chief"),
    ("exp08", "庄雅琴", 31, "ENDO", "内分泌科", "Endocrinology", "associate_chief"),
    ("exp09", "傅明辉", 40, "CLPH", "临床药学科", "Clinical Pharmacy", "chief"),
    ("exp10", "卢静怡", 41, "NUTR", "临床营养科", "Clinical Nutrition", "attending"),
    ("exp11", "戴永康", 50, "ICU", "重症医学科", "Critical Care Medicine", "chief"),
    ("exp12", "邱秀珍", 60, "GERI", "老年医学科", "Geriatrics", "associate_chief"),
    ("exp13", "魏宏伟", 70, "REHA", "康复医学科", "Rehabilitation Medicine", "associate_chief"),
    ("exp14", "董丽萍", 80, "CARD", "心血管内科", "Cardiology", "associate_chief"),
    ("exp15", "钟立群", 85, "RESP", "呼吸与危重症医学科", "Respiratory and Critical Care Medicine", "associate_chief"),
]


def _department(hospital_id: int, code: str, name_zh: str, name_en: str) -> int:
    for department in network.list_departments(hospital_id):
        if department.code == code:
            return department.id
    return network.create_department(hospital_id, code, name_zh, name_en).id


def _seed_experts(password: str) -> list:
    members = network.list_hospitals(level="member")
    doctors = []
    for number, (username, name, index, code, dept_zh, dept_en, title) in enumerate(EXPERTS, start=1):
        user = accounts.get_by_username(username)
        if user is None:
            hospital = members[index % len(members)]
            department_id = _department(hospital.id, code, dept_zh, dept_en)
            network.create_doctor(
                username,
                name,
                password,
                hospital.id,
                department_id,
                title,
                date(1995 + number % 10, 9, 1),
                license_no=f"2203500{number:08d}",
                specialty=dept_zh,
            )
            user = accounts.get_by_username(username)
        doctors.append(network.doctor_for_user(user.id))
    return doctors


def _seed_case(experts: list, patient_phone: str) -> None:
    if db.session.execute(db.select(ExpertCase.id).filter_by(title=CASE_TITLE)).first():
        return
    requester = accounts.get_by_username("doc01")
    data = expert.CaseRequest(
        patient_phone=patient_phone,
        title=CASE_TITLE,
        summary="78岁女性，慢性阻塞性肺疾病8年，近3天咳嗽咳痰加重伴气促，血气分析提示Ⅱ型呼吸衰竭，"
        "合并高血压、心功能不全，肾功能轻度异常。需多学科评估治疗方案。",
        questions=["是否需要无创通气或转入重症监护？", "抗感染方案如何调整？", "出院后的长期管理与康复建议？"],
        expert_ids=[d.id for d in experts],
        leader_id=experts[0].id,
        scheduled_at=clock.now() + timedelta(hours=1),
        records_consent=True,
        consent_note="患者本人书面同意",
    )
    case = expert.request_case(requester, data)
    for doctor in experts[1:]:
        expert.answer_invitation(doctor.user, case.id, True)
    expert.start_session(experts[0].user, case.id)


def seed_expert(context: dict) -> None:
    """Experts from member hospitals and the demo case with its room open."""
    experts = _seed_experts(context["password"])
    patients = context.get("patients") or []
    phone = patients[1]["phone"] if len(patients) > 1 else "13800000002"
    _seed_case(experts, phone)
    context["logins"].append(("expert", "exp01", f"{experts[0].user.name} · panel leader of the demo case"))
