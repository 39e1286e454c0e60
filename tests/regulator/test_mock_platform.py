"""The mock supervision platform on its own: a message id is stored once and answered the same,
invalid reports are refused naming the field and store nothing, the day's counts, and its faults."""

from __future__ import annotations

import time
from datetime import date

import pytest
import requests

from regulator.mock_platform.server import create_app

ORG = "H35010000001"


def envelope(msgid: str = "M1", report_type: str = "prescription_dispensed", at: str = "", **data) -> dict:
    at = at or "2026-03-01T10:00:00+08:00"
    body = {"prescription_no": "RX1", "hospital_code": "H1", "dispensed_at": at, **data}
    return {"msgid": msgid, "org_code": ORG, "report_type": report_type, "occurred_at": at, "data": body}


@pytest.fixture
def mock(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'platform.db'}"})
    yield app.test_client()
    app.extensions["mock_platform_store"].engine.dispose()


def counts(mock, day: str = "2026-03-01") -> dict:
    return mock.get(f"/api/v1/counts?org_code={ORG}&date={day}").get_json()["counts"]


def test_a_resent_message_id_stores_nothing_twice_and_answers_the_same(mock):
    first = mock.post("/api/v1/reports", json=envelope()).get_json()
    again = mock.post("/api/v1/reports", json=envelope()).get_json()
    assert first["code"] == 0 and first["repeated"] is False
    assert again["receipt_no"] == first["receipt_no"] and again["received_at"] == first["received_at"]
    assert again["repeated"] is True
    assert counts(mock) == {"prescription_dispensed": 1}
    assert len(mock.get("/api/v1/reports").get_json()["reports"]) == 1


def test_the_same_message_id_with_another_body_is_refused(mock):
    mock.post("/api/v1/reports", json=envelope())
    response = mock.post("/api/v1/reports", json=envelope(prescription_no="RX2"))
    assert response.status_code == 409 and response.get_json()["field"] == "msgid"
    assert counts(mock) == {"prescription_dispensed": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**envelope(), "msgid": ""}, "msgid"),
        ({**envelope(), "report_type": "gossip"}, "report_type"),
        (envelope(report_type="consultation_end"), "data.consultation_no"),
        (envelope(dispensed_at="yesterday"), "data.dispensed_at"),
        (envelope(dispensed_at="2026-03-01T10:00:00"), "data.dispensed_at"),
    ],
)
def test_an_invalid_report_is_refused_naming_the_field_and_stores_nothing(mock, body, field):
    response = mock.post("/api/v1/reports", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert mock.get("/api/v1/reports").get_json()["reports"] == []


def test_counts_are_per_local_day_of_the_event(mock):
    late = envelope("M2", at="2026-03-01T23:30:00+08:00")
    utc_next_local_day = envelope("M3", at="2026-03-01T16:30:00+00:00")  # 00:30 on the 2nd in Shanghai
    for body in (envelope(), late, utc_next_local_day):
        assert mock.post("/api/v1/reports", json=body).status_code == 200
    assert counts(mock) == {"prescription_dispensed": 2}
    assert counts(mock, "2026-03-02") == {"prescription_dispensed": 1}
    assert mock.get(f"/api/v1/counts?org_code={ORG}&date=someday").status_code == 400


def test_down_refuses_everything_with_503_and_stores_nothing(mock):
    mock.post("/admin/faults", json={"down": True})
    assert mock.post("/api/v1/reports", json=envelope()).status_code == 503
    assert mock.get(f"/api/v1/counts?org_code={ORG}&date=2026-03-01").status_code == 503
    mock.post("/admin/faults?replace=1", json={})
    assert counts(mock) == {}


def test_fail_next_answers_500_that_many_times_then_works(mock):
    mock.post("/admin/faults", json={"fail_next": 2})
    statuses = [mock.post("/api/v1/reports", json=envelope()).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert counts(mock) == {"prescription_dispensed": 1}


def test_slow_waits_before_answering(mock):
    mock.post("/admin/faults", json={"delay_ms": 300})
    began = time.monotonic()
    assert mock.post("/api/v1/reports", json=envelope()).status_code == 200
    assert time.monotonic() - began >= 0.3


def test_a_dropped_answer_was_stored_and_a_resend_gets_its_receipt(mock):
    """Drop after receiving: the report is kept, the caller hears nothing useful, resends."""
    mock.post("/admin/faults", json={"drop_next": 1})
    lost = mock.post("/api/v1/reports", json=envelope())
    assert lost.status_code == 504
    again = mock.post("/api/v1/reports", json=envelope()).get_json()
    assert again["repeated"] is True
    assert counts(mock) == {"prescription_dispensed": 1}


def test_a_dropped_answer_over_http_closes_the_connection(platform):
    """Served for real, the answer is not merely an error: the connection is cut."""
    platform.faults(drop_next=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(platform.url + "/api/v1/reports", json=envelope(), timeout=10)
    assert requests.post(platform.url + "/api/v1/reports", json=envelope(), timeout=10).json()["repeated"] is True
    assert platform.counts(ORG, date(2026, 3, 1)) == {"prescription_dispensed": 1}
