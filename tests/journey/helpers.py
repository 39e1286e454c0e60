"""Demo-data helpers: approved prescriptions made through the real API, as doctors and pharmacists do."""

from __future__ import annotations

PASSWORD = "Demo@2026"
PATIENT = "13800000001"  # 王建国: hypertension (I10) and type 2 diabetes (E11.9)
DOCTORS = {"CARD": "doc28", "ENDO": "doc27"}  # on call around the clock in the demo rota
HYPERTENSION = ("I10", "CARD", [{"drug_code": "AML5", "dose": 5, "frequency": "qd", "days": 7}])
DIABETES = ("E11.9", "ENDO", [{"drug_code": "MF500", "dose": 500, "frequency": "bid", "days": 5}])


def call(client, headers, method, path, expect=200, **kwargs):
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == expect, (path, response.get_json())
    return response.get_json()


def bearer(client, username: str) -> dict:
    body = call(client, {}, "post", "/api/auth/login", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {body['token']}"}


def approved_prescription(client, case, patient: str = PATIENT, approve: bool = True) -> dict:
    """A consultation for the diagnosis `case` names, accepted, prescribed, signed and approved."""
    icd10, department_code, items = case
    me, doctor = bearer(client, patient), bearer(client, DOCTORS[department_code])
    diagnosis = next(d for d in call(client, me, "get", "/api/diagnoses") if d["icd10"] == icd10)
    department = next(d for d in call(client, me, "get", "/api/departments") if d["code"] == department_code)
    body = {"department_id": department["id"], "diagnosis_id": diagnosis["id"], "complaint": "复诊开药"}
    consultation = call(client, me, "post", "/api/consultations", 201, json=body)
    call(client, doctor, "post", f"/api/consultations/{consultation['id']}/accept", json={})
    rx = call(
        client, doctor, "post", "/api/prescriptions", 201, json={"consultation_id": consultation["id"], "items": items}
    )
    call(client, doctor, "post", f"/api/prescriptions/{rx['id']}/sign", json={})
    if approve:
        call(
            client,
            bearer(client, "pharm01"),
            "post",
            f"/api/prescriptions/{rx['id']}/review",
            json={"decision": "approve"},
        )
    return {**rx, "diagnosis_id": diagnosis["id"], "department_id": department["id"]}
