"""The regulator's API (administrators): reports by status, send now, send again, reconcile; in the
OpenAPI; other roles refused; bad input a 422 naming the field."""

from __future__ import annotations

from core import audit, clock
from core.extensions import db
from hospital.models.network import Doctor
from tests.journey.helpers import bearer
from tests.regulator.conftest import DOCTOR, PATIENT, user


def test_an_administrator_follows_and_repairs_the_feed_through_the_api(feed, flow, platform):
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user(DOCTOR).id)).scalar_one()
    doctor.license_no = ""
    db.session.commit()
    flow.consultation("E11.9", "ENDO", "doc27")
    flow.consultation()
    client = feed.test_client()
    admin = bearer(client, "admin")
    assert len(client.get("/api/regulator/reports?status=pending", headers=admin).get_json()) == 2
    drained = client.post("/api/regulator/reports/send", headers=admin).get_json()
    assert len(drained["sent"]) == 1 and len(drained["failed"]) == 1
    [refused] = client.get("/api/regulator/reports?status=failed", headers=admin).get_json()
    assert refused["error_field"] == "data.doctor_license_no" and refused["report_type"] == "consultation_start"
    again = client.post(f"/api/regulator/reports/{refused['id']}/retry", headers=admin)
    assert again.status_code == 200 and again.get_json()["status"] == "pending"
    assert client.post(f"/api/regulator/reports/{refused['id']}/retry", headers=admin).status_code == 409
    checked = client.post("/api/regulator/reconciliations", headers=admin, json={"date": clock.today().isoformat()})
    assert checked.status_code == 201 and checked.get_json()["balanced"] is False  # one still waits
    assert checked.get_json()["counts"]["consultation_start"] == {"ours": 2, "theirs": 1}
    [latest] = client.get("/api/regulator/reconciliations", headers=admin).get_json()
    assert latest["day"] == clock.today().isoformat()
    done = [(str(e["action"]), str(e["object"])) for e in audit.readable(10, actor_id=user("admin").id)]
    assert done[:2] == [("已对账", "当日监管平台上报"), ("重新发送", "监管平台上报")]  # in words, Chinese by default


def test_other_roles_are_refused_and_bad_input_names_the_field(feed):
    client = feed.test_client()
    for username in (DOCTOR, PATIENT, "pharm01"):
        headers = bearer(client, username)
        assert client.get("/api/regulator/reports", headers=headers).status_code == 403
        assert client.post("/api/regulator/reports/send", headers=headers).status_code == 403
    admin = bearer(client, "admin")
    wrong = client.get("/api/regulator/reports?status=lost", headers=admin)
    assert wrong.status_code == 422 and "status" in wrong.get_json()["errors"]["query"]
    day = client.post("/api/regulator/reconciliations", headers=admin, json={"date": "someday"})
    assert day.status_code == 422 and "date" in day.get_json()["errors"]["json"]
    assert client.post("/api/regulator/reports/999999/retry", headers=admin).status_code == 404
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"/api/regulator/reports", "/api/regulator/reconciliations"} <= set(paths)
