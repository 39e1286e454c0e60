"""Fixtures of the expert room's tests: a lecture's audience of 100 doctors from four hospitals."""

from dataclasses import dataclass
from datetime import date

import pytest

from core import accounts
from hospital.models.expert import LECTURE_VIEWERS_MAX
from hospital.services import expert, network
from tests.conftest import DEMO_PASSWORD

TRAINING_HOSPITALS = 4


@dataclass
class Lecture:
    case_id: int
    hospital_ids: list[int]
    viewers: list[str]  # usernames
    presenters: list[str]
    host: str


def _doctor_id(username: str) -> int:
    return network.doctor_for_user(accounts.get_by_username(username).id).id


def make_audience(count: int = LECTURE_VIEWERS_MAX, hospitals: int = TRAINING_HOSPITALS) -> tuple[list[int], list[str]]:
    """`count` doctors spread over new network hospitals (the demo network's own stay out of it)."""
    hospital_ids, usernames = [], []
    for h in range(hospitals):
        hospital = network.create_hospital(f"TRN{h}", f"培训协作医院{h + 1}", f"Training hospital {h + 1}")
        department = network.create_department(hospital.id, "ICU", "重症医学科", "Critical Care Medicine")
        hospital_ids.append(hospital.id)
        for n in range(h, count, hospitals):
            username = f"viewer{n:03d}"
            network.create_doctor(
                username, f"学员{n:03d}", DEMO_PASSWORD, hospital.id, department.id, "attending", date(2015, 9, 1)
            )
            usernames.append(username)
    return hospital_ids, usernames


@pytest.fixture
def lecture(demo_app) -> Lecture:
    """A lecture in session: exp02 and exp03 present, exp01 hosts, 100 doctors of 4 hospitals watch."""
    hospital_ids, viewers = make_audience()
    requester = accounts.get_by_username("doc01")
    case = expert.request_case(
        requester,
        expert.CaseRequest(
            patient_phone="13800000001",
            title="重症慢阻肺无创通气培训",
            summary="面向网络医院医务人员的重症救治培训。",
            questions=[],
            expert_ids=[],
            leader_id=_doctor_id("exp01"),
            urgent=True,  # opens the room at once
            mode="lecture",
            presenter_ids=[_doctor_id("exp02"), _doctor_id("exp03")],
            audience_hospital_ids=hospital_ids,
        ),
    )
    return Lecture(case.id, hospital_ids, viewers, ["exp02", "exp03"], "exp01")
