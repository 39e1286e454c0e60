"""Demo network shaped like the seed platform: a provincial hub with 25 departments and 31
online doctors, 90 member hospitals, pharmacists, dispatchers, an administrator and a handful of
chronic patients with their confirmed in-person diagnoses. Idempotent: rows are found by key."""

from __future__ import annotations

from datetime import date

from core import accounts, resident_id
from core.extensions import db
from core.models import Role
from hospital.models.network import Department, Doctor, Hospital, HospitalLevel
from hospital.models.patients import (
    Allergy,
    AllergySeverity,
    AllergySource,
    ConfirmedDiagnosis,
    DiagnosisSource,
    DiagnosisStatus,
    InPersonVisit,
)

PROVINCIAL = ("H35000000001", "省立医院", "Provincial Hospital", "福州")

DEPARTMENTS = [
    ("RESP", "呼吸与危重症医学科", "Respiratory and Critical Care Medicine"),
    ("ENDO", "内分泌科", "Endocrinology"),
    ("CARD", "心血管内科", "Cardiology"),
    ("TCM", "中医科", "Traditional Chinese Medicine"),
    ("NEUR", "神经内科", "Neurology"),
    ("NEPH", "肾内科", "Nephrology"),
    ("GAST", "消化内科", "Gastroenterology"),
    ("RHEU", "风湿免疫科", "Rheumatology and Immunology"),
    ("GERI", "老年医学科", "Geriatrics"),
    ("GENM", "全科医学科", "General Medicine"),
    ("HEMA", "血液科", "Haematology"),
    ("INFE", "感染科", "Infectious Diseases"),
    ("DERM", "皮肤科", "Dermatology"),
    ("PEDI", "儿科", "Paediatrics"),
    ("GYNE", "妇科", "Gynaecology"),
    ("GSUR", "普通外科", "General Surgery"),
    ("ORTH", "骨科", "Orthopaedics"),
    ("UROL", "泌尿外科", "Urology"),
    ("OPHT", "眼科", "Ophthalmology"),
    ("ENT", "耳鼻咽喉科", "Otorhinolaryngology"),
    ("STOM", "口腔科", "Stomatology"),
    ("PSYC", "心理科", "Psychology"),
    ("ONCO", "肿瘤内科", "Medical Oncology"),
    ("REHA", "康复医学科", "Rehabilitation Medicine"),
    ("CLPH", "药学门诊", "Pharmacy Clinic"),
]

# Chronic-care departments carry a second doctor: 25 + 6 = 31 online doctors.
SECOND_DOCTOR = ["RESP", "ENDO", "CARD", "TCM", "NEUR", "GERI"]

DOCTOR_NAMES = [
    "林志明",
    "陈建华",
    "黄秀英",
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "吴敏",
    "郑强",
    "周静",
    "徐磊",
    "孙丽",
    "朱军",
    "胡婷",
    "高峰",
    "何欣",
    "罗斌",
    "谢琳",
    "梁超",
    "宋佳",
    "唐亮",
    "许慧",
    "韩涛",
    "冯雪",
    "邓勇",
    "曹颖",
    "彭飞",
    "曾红",
    "萧健",
    "潘玲",
    "蔡文",
]
TITLES = ["chief", "associate_chief", "attending", "associate_chief", "chief", "attending"]

CITIES = [
    ("福州", "Fuzhou"),
    ("厦门", "Xiamen"),
    ("泉州", "Quanzhou"),
    ("漳州", "Zhangzhou"),
    ("莆田", "Putian"),
    ("三明", "Sanming"),
    ("南平", "Nanping"),
    ("龙岩", "Longyan"),
    ("宁德", "Ningde"),
]
MEMBER_KINDS = [
    ("第一医院", "First Hospital"),
    ("第二医院", "Second Hospital"),
    ("中医院", "Hospital of TCM"),
    ("妇幼保健院", "Maternal and Child Health Hospital"),
    ("中西医结合医院", "Integrated Medicine Hospital"),
    ("第三医院", "Third Hospital"),
    ("第五医院", "Fifth Hospital"),
    ("康复医院", "Rehabilitation Hospital"),
    ("肿瘤医院", "Cancer Hospital"),
    ("儿童医院", "Children's Hospital"),
]

# name, birth date, sex digit parity, phone, diagnoses (diagnosis, ICD-10, years ago, stable), allergies
PATIENTS = [
    (
        "王建国",
        date(1952, 3, 14),
        1,
        "13800000001",
        [("原发性高血压", "I10", 6, True), ("2型糖尿病", "E11.9", 4, True)],
        [("penicillin", "皮疹、喉头发紧", AllergySeverity.SEVERE)],
    ),
    ("李秀兰", date(1948, 11, 2), 0, "13800000002", [("慢性阻塞性肺疾病", "J44.9", 8, True)], []),
    (
        "陈志强",
        date(1965, 7, 21),
        1,
        "13800000003",
        [("痛风", "M10.9", 3, False), ("高脂血症", "E78.5", 2, True)],
        [("sulfonamide", "皮疹 rash", AllergySeverity.MODERATE)],
    ),
    (
        "赵桂芳",
        date(1958, 1, 30),
        0,
        "13800000004",
        [("冠状动脉粥样硬化性心脏病", "I25.1", 5, True), ("甲状腺功能减退症", "E03.9", 7, True)],
        [],
    ),
    ("周小宇", date(2022, 5, 9), 1, "13800000005", [("支气管哮喘", "J45.9", 1, False)], []),
]


def demo_id_number(born: date, sex_odd: int, serial: int) -> str:
    """A valid resident ID (Fuzhou Gulou district code) for a demo person."""
    seq = f"{serial:02d}{1 if sex_odd else 2}"
    first17 = f"350102{born:%Y%m%d}{seq}"
    return first17 + resident_id.check_digit(first17)


def _get_or_create(model, lookup: dict, **values):
    row = db.session.execute(db.select(model).filter_by(**lookup)).scalar_one_or_none()
    if row is None:
        row = model(**lookup, **values)
        db.session.add(row)
        db.session.flush()
    return row


def _staff(username: str, role: str, name: str, password: str):
    return accounts.get_by_username(username) or accounts.create_staff(username, role, name, password)


def _seed_hospitals() -> Hospital:
    code, name_zh, name_en, city = PROVINCIAL
    hub = _get_or_create(
        Hospital, {"code": code}, name_zh=name_zh, name_en=name_en, level=HospitalLevel.PROVINCIAL, city=city
    )
    for index, (city_zh, city_en) in enumerate(CITIES):
        for kind_index, (kind_zh, kind_en) in enumerate(MEMBER_KINDS):
            _get_or_create(
                Hospital,
                {"code": f"H35{index + 1:02d}{kind_index + 1:07d}"},
                name_zh=f"{city_zh}市{kind_zh}",
                name_en=f"{city_en} {kind_en}",
                level=HospitalLevel.MEMBER,
                city=city_zh,
            )
    for dept_code, name_zh, name_en in DEPARTMENTS:
        _get_or_create(Department, {"hospital_id": hub.id, "code": dept_code}, name_zh=name_zh, name_en=name_en)
    db.session.commit()
    return hub


def _seed_doctors(hub: Hospital, password: str, logins: list) -> None:
    departments = {d.code: d for d in hub.departments}
    slots = [code for code, _, _ in DEPARTMENTS] + SECOND_DOCTOR
    for number, (dept_code, name) in enumerate(zip(slots, DOCTOR_NAMES, strict=True), start=1):
        username = f"doc{number:02d}"
        user = _staff(username, Role.DOCTOR, name, password)
        _get_or_create(
            Doctor,
            {"user_id": user.id},
            hospital_id=hub.id,
            department_id=departments[dept_code].id,
            title=TITLES[number % len(TITLES)],
            practice_since=date(2000 + number % 18, 9, 1),
            license_no=f"1103500{number:08d}",
        )
        if number in (1, 2, 3, 4):
            logins.append(("doctor", username, f"{name} · {departments[dept_code].name_zh}"))
    db.session.commit()


# Where each demo diagnosis was made in person: the hub's department by ICD-10 chapter.
VISIT_DEPARTMENT = {"I": "CARD", "E": "ENDO", "J": "RESP", "M": "RHEU"}


def _seed_visit(user, hub: Hospital, diagnosis: str, icd10: str, years_ago: int, stable: bool) -> None:
    """An in-person outpatient visit at the provincial hospital, and the diagnosis it confirmed."""
    departments = {d.code: d for d in hub.departments}
    department = departments[VISIT_DEPARTMENT.get(icd10[0], "GENM")]
    doctor = db.session.execute(db.select(Doctor).filter_by(department_id=department.id)).scalars().first()
    visited_on = date(2026 - years_ago, 6, 15)
    visit = _get_or_create(
        InPersonVisit,
        {"patient_id": user.id, "hospital_id": hub.id, "visited_on": visited_on, "department_id": department.id},
        doctor_name=doctor.user.name if doctor else "门诊医生",
        kind="outpatient",
        summary=f"门诊诊断：{diagnosis}（{icd10}）",
    )
    _get_or_create(
        ConfirmedDiagnosis,
        {"patient_id": user.id, "icd10": icd10},
        hospital_id=hub.id,
        hospital_name=hub.name_zh,
        diagnosis=diagnosis,
        diagnosed_on=visited_on,
        chronic=True,
        stable=stable,
        status=DiagnosisStatus.CONFIRMED,
        source=DiagnosisSource.VISIT_RECORD,
        visit_id=visit.id,
    )


def _seed_patients(hub: Hospital, password: str, logins: list) -> list[dict]:
    patients = []
    for serial, (name, born, sex_odd, phone, diagnoses, allergies) in enumerate(PATIENTS, start=1):
        id_number = demo_id_number(born, sex_odd, serial)
        user = accounts.get_by_username(phone) or accounts.register_patient(name, id_number, phone, password)
        for diagnosis, icd10, years_ago, stable in diagnoses:
            _seed_visit(user, hub, diagnosis, icd10, years_ago, stable)
        for allergen, reaction, severity in allergies:
            _get_or_create(
                Allergy,
                {"patient_id": user.id, "allergen": allergen},
                reaction=reaction,
                severity=severity,
                source=AllergySource.DOCTOR_CONFIRMED,
            )
        patients.append({"user_id": user.id, "name": name, "id_number": id_number, "phone": phone})
        logins.append(("patient", phone, name + (" (child, 3 y)" if born.year > 2020 else "")))
    db.session.commit()
    return patients


def seed_network(context: dict) -> None:
    """Hospitals, departments, doctors, staff and demo patients."""
    password, logins = context["password"], context["logins"]
    admin = _staff("admin", Role.ADMIN, "系统管理员", password)
    logins.append(("admin", admin.username, "administrator"))
    hub = _seed_hospitals()
    _seed_doctors(hub, password, logins)
    for number in (1, 2, 3):
        _staff(f"pharm{number:02d}", Role.PHARMACIST, ["郭药师", "方药师", "江药师"][number - 1], password)
    for number in (1, 2):
        _staff(f"disp{number:02d}", Role.DISPATCHER, ["配送员小杨", "配送员小林"][number - 1], password)
    logins.append(("pharmacist", "pharm01", "郭药师"))
    logins.append(("dispatcher", "disp01", "配送员小杨"))
    context["provincial_hospital_id"] = hub.id
    context["patients"] = _seed_patients(hub, password, logins)
