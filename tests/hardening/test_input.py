"""Input that used to reach the database or the parser unchecked: numbers beyond 64 bits, bodies
of the wrong shape, deeply nested or oversized JSON. Every one is a 4xx in the error shape."""

from __future__ import annotations

import pytest

HUGE = "168394142832162559136804896768"


def _error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] == status and body["message"]
    return body


def test_a_path_id_beyond_64_bits_is_not_found(demo_client, demo_users):
    patient = demo_users.login("13800000001", "Demo@2026")
    for path in (f"/api/doctors/{HUGE}", f"/api/orders/{HUGE}", f"/api/consultations/{HUGE}", f"/api/orders/{2**63}"):
        _error_shape(demo_client.get(path, headers=patient["headers"]), 404)
    assert demo_client.get(f"/api/orders/{2**63 - 1}", headers=patient["headers"]).status_code == 404


def test_a_query_number_beyond_64_bits_names_the_field(demo_client, demo_users):
    admin = demo_users.login("admin", "Demo@2026")
    body = _error_shape(demo_client.get(f"/api/audit?patient_id=-{HUGE}", headers=admin["headers"]), 422)
    assert "patient_id" in body["errors"]["query"]


def test_a_body_number_beyond_64_bits_names_the_field(demo_client, demo_users):
    patient = demo_users.login("13800000001", "Demo@2026")
    response = demo_client.post("/api/notifications/read", json={"ids": [int(HUGE)]}, headers=patient["headers"])
    body = _error_shape(response, 422)
    assert "ids" in body["errors"]["json"]


@pytest.mark.parametrize("payload", [[1, 2], {"username": 5, "password": "x"}, {"username": {"a": 1}}, "text", 7])
def test_login_with_a_body_of_the_wrong_shape_is_422(client, payload):
    body = _error_shape(client.post("/api/auth/login", json=payload), 422)
    assert body["errors"]["json"]


def test_deeply_nested_json_is_refused_before_anything_parses_it(demo_client, demo_users):
    patient = demo_users.login("13800000001", "Demo@2026")
    nested = "[" * 50_000 + "]" * 50_000
    headers = {**patient["headers"], "Idempotency-Key": "deep-1", "Content-Type": "application/json"}
    body = _error_shape(demo_client.post("/api/orders", data=nested, headers=headers), 422)
    assert body["reason"] == "too_deeply_nested"
    login = demo_client.post("/api/auth/login", data=nested, headers={"Content-Type": "application/json"})
    _error_shape(login, 422)


def test_an_oversized_json_body_is_413(client):
    big = '{"username": "' + "a" * (2 * 1024 * 1024) + '"}'
    _error_shape(client.post("/api/auth/login", data=big, headers={"Content-Type": "application/json"}), 413)
