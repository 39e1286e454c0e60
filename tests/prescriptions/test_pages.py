"""The pages of each role render, say things in words, and refuse other people's prescriptions."""

from __future__ import annotations

from flask import render_template_string

from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import ItemInput
from tests.conftest import GOOD_PASSWORD, csrf_of, page_login


def post(client, path, data):
    token = csrf_of(client.get("/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def approved(world):
    consultation = world.consultation()
    draft = rxs.create_draft(world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AML5", 5, "qd", 7)]))
    rx = rxs.sign_prescription(world.doctor.user, draft.id)
    return rxs.review_prescription(world.pharmacist, rx.id, "approve"), consultation


def test_patient_pages_and_home_reminder(world, client):
    rx, _ = approved(world)
    page_login(client, "13900000001", GOOD_PASSWORD)
    page = client.get("/prescriptions").get_data(as_text=True)
    assert "原发性高血压" in page
    detail = client.get(f"/prescriptions/{rx.id}").get_data(as_text=True)
    assert f"/api/prescriptions/{rx.id}.pdf" in detail and 'id="rx-renew"' in detail
    home = client.get("/").get_data(as_text=True)
    assert 'id="my-medicines"' in home and "氨氯地平" in home
    page_login(client, "13900000002", GOOD_PASSWORD)
    assert client.get(f"/prescriptions/{rx.id}").status_code == 404


def test_pharmacist_queue_and_review_page(world, client):
    consultation = world.consultation()
    world.allergy("penicillin")
    draft = rxs.create_draft(world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AMX250", 500, "tid", 5)]))
    rx = rxs.sign_prescription(world.doctor.user, draft.id, "皮试阴性", "benefit_outweighs_risk")
    page_login(client, "pharm1", GOOD_PASSWORD)
    queue = client.get("/pharmacist/review").get_data(as_text=True)
    assert f'data-id="{rx.id}"' in queue
    page = client.get(f"/pharmacist/review/{rx.id}").get_data(as_text=True)
    assert "penicillin" in page and "皮试阴性" in page
    refused = post(client, f"/pharmacist/review/{rx.id}", {"decision": "reject", "reason": ""})
    assert refused.status_code == 422
    done = post(client, f"/pharmacist/review/{rx.id}", {"decision": "approve"})
    assert done.status_code == 302 and rxs._get(rx.id).status == "approved"


def test_doctor_editor_and_consultation_panel(world, client, app):
    consultation = world.consultation()
    page_login(client, "doc1", GOOD_PASSWORD)
    editor = client.get(f"/prescriptions/new?consultation={consultation.id}")
    assert editor.status_code == 200 and 'id="drug-q"' in editor.get_data(as_text=True)
    page_login(client, "doc2", GOOD_PASSWORD)
    assert client.get(f"/prescriptions/new?consultation={consultation.id}").status_code in (403, 404)
    with app.test_request_context():
        from flask import g

        g.user = world.doctor.user
        html = render_template_string(
            '{% include "hospital/prescriptions/_consultation_panel.html" %}',
            consultation=consultation,
            current_user=world.doctor.user,
            lang="zh",
        )
    assert 'id="rx-write"' in html
