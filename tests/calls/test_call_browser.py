"""A real WebRTC video call between a patient (phone) and a doctor (desktop) through the app's
signalling, in Debian's Chromium with fake devices and loopback-only ICE candidates."""

import pytest
import requests

from tests.browser_helpers import api_as, open_as, shot
from tests.conftest import DESKTOP, PHONE, check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.live]


def accepted_video_consultation(server) -> int:
    """Through the consultation API: a cardiology patient asks, the 24-hour on-call doctor accepts."""
    patient, doctor = api_as(server, "13800000004"), api_as(server, "doc28")
    departments = requests.get(server.url + "/api/departments", timeout=10).json()
    cardiology = next(d["id"] for d in departments if d["code"] == "CARD")
    diagnosis = patient("GET", "/api/diagnoses")[0]["id"]
    complaint = "胸闷复诊，想视频看看"
    request = {"department_id": cardiology, "diagnosis_id": diagnosis, "mode": "video", "complaint": complaint}
    consultation_id = patient("POST", "/api/consultations", json=request)["id"]
    doctor("POST", f"/api/consultations/{consultation_id}/accept")
    return consultation_id


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
    doctor = open_as(browser, live_server, "doc28", DESKTOP)
    patient = open_as(browser, live_server, "13800000004", PHONE)
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
    shot(patient, "call-patient-ended")
    calls = api_as(live_server, "13800000004")("GET", f"/api/consultations/{consultation_id}/calls")
    assert len(calls) == 1 and calls[0]["status"] == "ended" and calls[0]["duration_seconds"] >= 0
    assert calls[0]["mode"] == "video" and calls[0]["ended_at"]
