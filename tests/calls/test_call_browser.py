"""A real WebRTC video call between a patient (phone) and a doctor (desktop) through the app's
signalling, in Debian's Chromium with fake devices and loopback-only ICE candidates."""

import pytest
import requests

from tests.conftest import DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def bearer(server, username):
    return {"Authorization": f"Bearer {server.login(username)}"}


def accepted_video_consultation(server) -> int:
    """Through the consultation API: a cardiology patient asks, the 24-hour on-call doctor accepts."""
    patient, doctor = bearer(server, "13800000004"), bearer(server, "doc28")
    departments = requests.get(server.url + "/api/departments", timeout=10).json()
    cardiology = next(d["id"] for d in departments if d["code"] == "CARD")
    diagnosis = requests.get(server.url + "/api/diagnoses", headers=patient, timeout=10).json()[0]["id"]
    created = requests.post(
        server.url + "/api/consultations",
        headers=patient,
        timeout=10,
        json={
            "department_id": cardiology,
            "diagnosis_id": diagnosis,
            "mode": "video",
            "complaint": "胸闷复诊，想视频看看",
        },
    )
    assert created.status_code == 201, created.text
    consultation_id = created.json()["id"]
    accepted = requests.post(f"{server.url}/api/consultations/{consultation_id}/accept", headers=doctor, timeout=10)
    assert accepted.status_code == 200, accepted.text
    return consultation_id


def log_in(browser, server, username, options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#f-username", username)
    page.fill("#f-password", "Demo@2026")
    page.click("#login-submit")
    page.wait_for_load_state()
    return page


FRAMES = "async () => (await window.CallPanel.stats()).reduce((n, p) => n + p.framesDecoded, 0)"


def wait_for_frames(*pages) -> None:
    """Each page decodes video frames from the other (within 30 s)."""
    for page in pages:
        frames = 0
        for _ in range(60):
            frames = page.evaluate(FRAMES)
            if frames > 0:
                break
            page.wait_for_timeout(500)
        assert frames > 0, "no video frames decoded"


def test_patient_and_doctor_video_call_and_hang_up(browser, live_server):
    consultation_id = accepted_video_consultation(live_server)
    doctor = log_in(browser, live_server, "doc28", DESKTOP)
    patient = log_in(browser, live_server, "13800000004", PHONE)
    doctor.goto(f"{live_server.url}/calls/{consultation_id}")
    patient.goto(f"{live_server.url}/calls/{consultation_id}")
    check_accessibility(patient, "call-patient-before")

    doctor.click("#call-start-video")
    patient.wait_for_selector("#call-join:visible", timeout=10000)  # told live that the doctor calls
    patient.click("#call-join")
    wait_for_frames(doctor, patient)
    check_accessibility(doctor, "call-doctor-in-call")
    patient.click("#call-mute")
    assert patient.get_attribute("#call-mute", "aria-pressed") == "true"

    # The patient's network drops (the socket's transport is cut): the page reconnects by itself,
    # rejoins the call and both sides decode video again on a new peer connection.
    before = patient.evaluate("() => App.connect().id")
    patient.evaluate("() => App.connect().io.engine.close()")
    patient.wait_for_function(f"() => App.connect().connected && App.connect().id !== {before!r}", timeout=20000)
    after = patient.evaluate("() => App.connect().id")
    new_peer = f"async () => (await window.CallPanel.stats()).some(p => p.sid === {after!r} && p.framesDecoded > 0)"
    doctor.wait_for_function(new_peer, timeout=30000)  # the doctor sees video from the patient's new socket
    wait_for_frames(patient)

    doctor.click("#call-hangup")
    for page in (doctor, patient):
        page.wait_for_selector("#call-start-video:visible", timeout=10000)
        # The status line follows the buttons by one event; wait for it rather than race it.
        page.wait_for_function(
            "() => document.querySelector('#call-status').innerText.includes('通话已结束')", timeout=10000
        )
    patient.screenshot(path="test-artifacts/call-patient-ended.png")
    calls = requests.get(
        f"{live_server.url}/api/consultations/{consultation_id}/calls",
        headers=bearer(live_server, "13800000004"),
        timeout=10,
    ).json()
    assert len(calls) == 1 and calls[0]["status"] == "ended" and calls[0]["duration_seconds"] >= 0
    assert calls[0]["mode"] == "video" and calls[0]["ended_at"]
