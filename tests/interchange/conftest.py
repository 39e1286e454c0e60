"""Fixtures of the FHIR tests: the clinical area's small hospital with a patient whose record has a
confirmed diagnosis, an allergy, a consultation and an approved prescription."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hospital.services.prescription_safety import ItemInput
from tests.clinical.conftest import ClinicalWorld


@pytest.fixture
def world(app, client):
    world = ClinicalWorld(client)
    world.allergy("penicillin")
    world.rx = world.earlier(ItemInput("AML5", 5, "qd", 7), days_ago=0)
    return world


@pytest.fixture
def api(world):
    return SimpleNamespace(
        doctor=world.token("doc1"),
        other_doctor=world.token("doc2"),
        patient=world.token("13900000001"),
        other_patient=world.token("13900000002"),
        pharmacist=world.token("pharm1"),
    )
