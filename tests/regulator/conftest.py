"""Regulator fixtures: the mock platform served on a loopback port (in a thread, or as its own
process for the outage test), and a clinical flow walked through the hospital's real services."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from chronic import booking
from core import clock
from core.config import ROOT
from core.extensions import db
from core.models import User
from hospital.models.network import Department
from hospital.models.patients import ConfirmedDiagnosis
from hospital.services import consultations, prescriptions
from hospital.services.prescription_safety import ItemInput
from regulator.mock_platform.server import create_app as create_platform
from regulator.models import RegulatorReport
from tests.conftest import free_port

DOCTOR, PHARMACIST, PATIENT = "doc28", "pharm01", "13800000001"
RECORD = {"chief_complaint": "血压平稳", "diagnosis": "原发性高血压", "icd10": "I10", "advice": "继续服药"}


class PlatformClient:
    """Talk to a running mock platform: its faults and what it has stored."""

    url: str

    def faults(self, **values) -> dict:
        return requests.post(self.url + "/admin/faults?replace=1", json=values, timeout=5).json()

    def reports(self) -> list[dict]:
        return requests.get(self.url + "/api/v1/reports?limit=1000", timeout=5).json()["reports"]

    def counts(self, org_code: str, day: date) -> dict:
        params = {"org_code": org_code, "date": day.isoformat()}
        return requests.get(self.url + "/api/v1/counts", params=params, timeout=5).json()["counts"]


class ThreadPlatform(PlatformClient):
    """The mock platform's own app on a loopback port, served from a thread of the test."""

    def __init__(self, db_path: Path):
        self.app = create_platform({"DATABASE_URL": f"sqlite:///{db_path}"})
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.app.extensions["mock_platform_store"].engine.dispose()


class ProcessPlatform(PlatformClient):
    """`python -m regulator.mock_platform` as its own process, with its own store file."""

    def __init__(self, db_path: Path, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{db_path}"
        self.log_path = log_path
        self.process = None

    def start(self) -> None:
        env = {**os.environ, "REGULATOR_MOCK_DATABASE_URL": self.db_url}
        command = [sys.executable, "-m", "regulator.mock_platform", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mock platform exited: {self.log_path.read_text()}")
            try:
                requests.get(self.url + "/health", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("mock platform did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def platform(tmp_path):
    served = ThreadPlatform(tmp_path / "platform.db")
    yield served
    served.stop()


def user(username: str) -> User:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one()


class Flow:
    """Consultations, prescriptions and referrals through the hospital's own services."""

    def __init__(self):
        self.doctors: dict[int, str] = {}

    def consultation(self, icd10: str = "I10", department: str = "CARD", doctor: str = DOCTOR) -> int:
        """The demo patient's follow-up for one of his confirmed diagnoses, accepted by `doctor`
        (doc28 in cardiology and doc27 in endocrinology are on call around the clock)."""
        patient_user = user(PATIENT)
        department_row = db.session.execute(db.select(Department).filter_by(code=department)).scalars().first()
        diagnosis = db.session.execute(
            db.select(ConfirmedDiagnosis.id).filter_by(patient_id=patient_user.id, icd10=icd10)
        ).scalar_one()
        started = consultations.start_consultation(patient_user.id, department_row.id, diagnosis, "video", "复诊开药")
        consultations.accept(user(doctor), started.id)
        self.doctors[started.id] = doctor
        return started.id

    def prescription(self, consultation_id: int, approve: bool = True) -> int:
        doctor = user(DOCTOR)
        draft = prescriptions.DraftInput([ItemInput("AML5", 5, "qd", 7)], validity_days=3)
        rx = prescriptions.create_draft(doctor, consultation_id, draft)
        prescriptions.sign_prescription(doctor, rx.id, "续方替换此前处方的余量，已告知患者", "other")
        prescriptions.review_prescription(user(PHARMACIST), rx.id, "approve" if approve else "reject", "剂量需调整")
        return rx.id

    def complete(self, consultation_id: int) -> None:
        consultations.complete(user(self.doctors[consultation_id]), consultation_id, RECORD)

    def refer(self, consultation_id: int) -> None:
        consultations.refer_offline(
            user(self.doctors[consultation_id]), consultation_id, "血压控制不佳，需门诊调整方案"
        )

    def book_referral(self, consultation_id: int) -> int:
        department = db.session.execute(db.select(Department).filter_by(code="CARD")).scalars().first()
        day = clock.today() + timedelta(days=2)
        slots = booking.publish_slots(user("admin"), department.id, day, clock_time(9, 0), 1, 5)
        slot_id = slots[0].id if slots else booking.open_slots(department.id)[0].id
        return booking.book_referral(user(PATIENT), consultation_id, slot_id).id

    def dispense(self, prescription_id: int) -> None:
        prescriptions.mark_paid(prescription_id, f"ORD-{prescription_id}")
        prescriptions.mark_dispensed(prescription_id)


@pytest.fixture
def flow(demo_app):
    return Flow()


@pytest.fixture
def feed(demo_app, platform):
    """The demo hospital reporting to the threaded mock platform; retries due at once."""
    demo_app.config.update(REGULATOR_URL=platform.url, REGULATOR_BACKOFF=0.0, REGULATOR_TIMEOUT=10.0)
    return demo_app


def outbox(**by) -> list[RegulatorReport]:
    db.session.expire_all()
    query = db.select(RegulatorReport).filter_by(**by).order_by(RegulatorReport.id)
    return list(db.session.execute(query).scalars())
