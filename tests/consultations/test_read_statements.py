"""The REST reads of issue #13 run statements built once and load what they print with the row:
each read costs a fixed number of statements (however many rows it shows), its answer is the one
the record holds, other users still get 404, and the same reads work on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from core import sessions
from core.extensions import db
from core.models import Role, User
from hospital.models.consultations import Consultation
from hospital.models.network import Department
from hospital.models.patients import ConfirmedDiagnosis
from hospital.models.prescriptions import Prescription
from hospital.schemas.consultations import ConsultationSchema
from hospital.schemas.prescriptions import PrescriptionSchema
from hospital.services import chat, consultations
from tests.pharmacy.conftest import AML, MF, PHARMACIST, Prescriptions
from tests.realtime.test_access_at_once import _bearer, accepted_consultation
from tests.realtime.test_socket_rules import DOCTOR, PATIENT, _token, _user

OTHER_PATIENT = "13800000002"


def _read(client, path: str, headers: dict) -> tuple[list[str], object]:
    """The answer of a GET and the statements it issued."""
    client.get(path, headers=headers)  # once before: the lazy shift-end sweep runs at most once a second
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer = client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert answer.status_code == 200, (path, answer.get_json())
    return seen, answer.get_json()


def _dialogue(consultation_id: int) -> None:
    """Both participants write (the doctor's line names him, the patient's names the patient)."""
    chat.post_message(_user(PATIENT), consultation_id, "医生您好，血压这周都在130左右", "p-1")
    chat.post_message(_user(DOCTOR), consultation_id, "好的，继续原方案", "d-1")
    chat.post_message(_user(PATIENT), consultation_id, "谢谢医生", "p-2")


def test_the_consultation_reads_cost_a_fixed_number_of_statements(demo_app, demo_client):
    consultation_id = accepted_consultation()
    _dialogue(consultation_id)
    patient, doctor = _bearer(_token(PATIENT)), _bearer(_token(DOCTOR))

    statements, one = _read(demo_client, f"/api/consultations/{consultation_id}", patient)
    assert len(statements) == 2, "\n".join(statements)  # the consultation with what it prints; its audit entry
    assert one["doctor_name"] == _user(DOCTOR).name and one["department_name_zh"]
    assert one["diagnosis"]["icd10"] and one["status"] == "accepted"

    statements, listed = _read(demo_client, "/api/consultations", patient)
    assert len(statements) == 2 and one in listed
    statements, listed = _read(demo_client, "/api/consultations", doctor)
    assert len(statements) == 2 and {**one, "patient_name": _user(PATIENT).name} in listed

    statements, messages = _read(demo_client, f"/api/consultations/{consultation_id}/messages", patient)
    assert len(statements) == 3  # who is in it; the dialogue with the senders' names; the audit entry
    mine = [m for m in messages if m["kind"] == "text"]
    assert [(m["text"], m["sender_name"]) for m in mine] == [
        ("医生您好，血压这周都在130左右", _user(PATIENT).name),
        ("好的，继续原方案", _user(DOCTOR).name),
        ("谢谢医生", _user(PATIENT).name),
    ]
    assert [m["seq"] for m in messages] == sorted(m["seq"] for m in messages)
    assert all(m["consultation_id"] == consultation_id and m["attachment_url"] is None for m in messages)
    since = mine[0]["seq"]
    _none, later = _read(demo_client, f"/api/consultations/{consultation_id}/messages?since={since}", doctor)
    assert later == [m for m in messages if m["seq"] > since]

    statements, queue = _read(demo_client, "/api/consultations/queue", doctor)
    assert one["id"] in [c["id"] for c in queue["accepted"]]


def test_other_users_still_get_404_on_the_reads(demo_app, demo_client):
    consultation_id = accepted_consultation()
    other = _bearer(_token(OTHER_PATIENT))
    for path in (f"/api/consultations/{consultation_id}", f"/api/consultations/{consultation_id}/messages"):
        assert demo_client.get(path, headers=other).status_code == 404, path
    assert consultation_id not in [c["id"] for c in demo_client.get("/api/consultations", headers=other).get_json()]


def test_the_prescription_reads_cost_a_fixed_number_of_statements(demo_app, demo_client):
    written = Prescriptions()
    ids = [written.add(_user(PATIENT).id) for _ in range(2)]
    patient = _bearer(_token(PATIENT))

    statements, listed = _read(demo_client, "/api/prescriptions", patient)
    assert len(statements) == 3  # the prescriptions with their people; their items; the audit entry
    assert set(ids) <= {rx["id"] for rx in listed} and all(rx["items"] for rx in listed)

    statements, one = _read(demo_client, f"/api/prescriptions/{ids[0]}", patient)
    assert len(statements) == 4  # the prescription; its items; the audit entry; the signatures with their keys
    assert one["integrity"] == {"doctor_signature": True, "review_signature": True, "genuine": True}
    assert {k: v for k, v in one.items() if k != "integrity"} == next(rx for rx in listed if rx["id"] == ids[0])
    other = _bearer(_token(OTHER_PATIENT))
    assert demo_client.get(f"/api/prescriptions/{ids[0]}", headers=other).status_code == 404


@pytest.mark.postgres
def test_the_reads_answer_on_postgres(pg_app):
    pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    client = pg_app.test_client()
    consultation_id = accepted_consultation()
    _dialogue(consultation_id)
    rx_id = Prescriptions().add(_user(PATIENT).id)
    patient, doctor = _bearer(_token(PATIENT)), _bearer(_token(DOCTOR))

    _statements, one = _read(client, f"/api/consultations/{consultation_id}", patient)
    assert one["id"] == consultation_id and one["doctor_name"] == _user(DOCTOR).name
    assert one in _read(client, "/api/consultations", patient)[1]
    assert consultation_id in [c["id"] for c in _read(client, "/api/consultations", doctor)[1]]
    assert consultation_id in [c["id"] for c in _read(client, "/api/consultations/queue", doctor)[1]["accepted"]]
    messages = _read(client, f"/api/consultations/{consultation_id}/messages?since=1", patient)[1]
    assert "好的，继续原方案" in [m["text"] for m in messages] and all(m["seq"] > 1 for m in messages)
    assert _read(client, f"/api/prescriptions/{rx_id}", patient)[1]["integrity"]["genuine"] is True
    assert rx_id in [rx["id"] for rx in _read(client, "/api/prescriptions", patient)[1]]
    assert rx_id in [rx["id"] for rx in _read(client, "/api/prescriptions", doctor)[1]]
    other = _bearer(_token(OTHER_PATIENT))
    assert client.get(f"/api/consultations/{consultation_id}/messages", headers=other).status_code == 404


def test_the_rows_print_what_the_objects_print(demo_app, demo_client):
    """The consultation reads are rows (consultation_queries), not ORM objects: for every
    consultation of the demo data, to its patient, its doctor and an administrator, the answer
    is the schema's print of the object itself, field for field (a field added to the schema
    and not to the rows' statement fails here)."""
    accepted_consultation()
    waiting = _user(OTHER_PATIENT)  # a consultation no doctor has taken yet
    card = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
    diagnosis = consultations.patients.list_diagnoses(waiting.id)[0]
    consultations.start_consultation(waiting.id, card.id, diagnosis.id, "text", "复诊续药")
    decided = db.session.execute(db.select(ConfirmedDiagnosis).where(ConfirmedDiagnosis.visit_id.is_not(None))).scalar()
    decided.decided_by_user_id = decided.stable_by_user_id = _user(DOCTOR).id
    decided.stable = True
    db.session.commit()
    admin = db.session.execute(db.select(User).filter_by(role=Role.ADMIN)).scalars().first()
    schema = ConsultationSchema()
    compared = 0
    for consultation in db.session.execute(db.select(Consultation)).scalars():
        expected = schema.dump(consultation)
        readers = [consultation.patient, admin] + ([consultation.doctor.user] if consultation.doctor else [])
        for reader in readers:
            headers = _bearer(sessions.open_api_session(reader).token)
            answer = demo_client.get(f"/api/consultations/{consultation.id}", headers=headers).get_json()
            assert answer == expected, (reader.role, consultation.id)
            compared += 1
    doctors = {c.doctor_id is None for c in db.session.execute(db.select(Consultation)).scalars()}
    assert compared > 10 and doctors == {True, False}
    listed = demo_client.get("/api/consultations", headers=_bearer(_token(PATIENT))).get_json()
    mine = db.session.execute(db.select(Consultation).filter_by(patient_id=_user(PATIENT).id)).scalars()
    assert sorted(listed, key=lambda c: c["id"]) == sorted(map(schema.dump, mine), key=lambda c: c["id"])


def test_the_prescription_lists_print_what_the_objects_print(demo_app, demo_client):
    """The prescription lists are rows with their items (prescription_access), not ORM objects:
    to the patient, the doctor and the hospital's pharmacist, each listed prescription is the
    schema's print of the object itself (approved, only signed, two lines; drafts to the doctor
    alone), and the filters by status and by consultation keep their meaning."""
    written = Prescriptions()
    patient_id = _user(PATIENT).id
    approved, signed, two_lines = written.add(patient_id), written.add(patient_id, approve=False), None
    two_lines = written.add(patient_id, lines=(AML, MF))
    schema = PrescriptionSchema()
    shown = {rx.id: schema.dump(rx) for rx in db.session.execute(db.select(Prescription)).scalars()}
    assert len(shown[two_lines]["items"]) == 2 and shown[signed]["pharmacist"] is None
    for reader in (PATIENT, DOCTOR, PHARMACIST):
        listed = demo_client.get("/api/prescriptions", headers=_bearer(_token(reader))).get_json()
        assert {approved, signed, two_lines} <= {rx["id"] for rx in listed}, reader
        assert all(rx == shown[rx["id"]] for rx in listed), reader
        assert [rx["id"] for rx in listed] == sorted((rx["id"] for rx in listed), reverse=True)
    patient = _bearer(_token(PATIENT))
    only_signed = demo_client.get("/api/prescriptions?status=signed", headers=patient).get_json()
    assert signed in {rx["id"] for rx in only_signed} and {rx["status"] for rx in only_signed} == {"signed"}
    consultation_id = shown[approved]["consultation_id"]
    of_one = demo_client.get(f"/api/prescriptions?consultation_id={consultation_id}", headers=patient).get_json()
    assert {rx["consultation_id"] for rx in of_one} == {consultation_id}
