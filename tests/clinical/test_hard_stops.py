"""Severity that means something: refusals no override passes (contraindicated, > 2× the maximum
daily dose, special control), warnings with a coded reason, an indication check; errors list every
blocking finding."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.extensions import db
from core.models import AuditEntry
from hospital.services import formulary
from hospital.services import prescriptions as rxs
from hospital.services.prescription_safety import BLOCK, WARN, Context, ItemInput, run_checks
from tests.prescriptions.conftest import item


def codes(findings, severity=None):
    return [f.code for f in findings if severity in (None, f.severity)]


def test_sildenafil_with_a_nitrate_is_contraindicated(world):
    findings = run_checks([ItemInput("SIL50", 50, "prn", 3), ItemInput("ISMN20", 20, "bid", 3)], Context())
    assert codes(findings, BLOCK) == ["contraindicated_combination"]


def test_graded_from_the_catalogues_sources(world):
    graded = {(r.a, r.b): r for r in formulary.interactions() if r.severity == "contraindicated"}
    assert ("sildenafil", "nitrate") in graded and all(r.source for r in graded.values())
    assert codes(run_checks([ItemInput("DOM10", 10, "tid", 3), ItemInput("CLA250", 250, "bid", 3)], Context()), BLOCK)


@pytest.mark.parametrize(("dose", "expected"), [(10, []), (15, ["dose_above_max"]), (20, ["dose_above_max"])])
def test_between_one_and_two_times_the_maximum_warns(world, dose, expected):
    assert codes(run_checks([ItemInput("AML5", dose, "qd", 7)], Context()), WARN) == expected


def test_above_twice_the_maximum_is_refused(world):
    assert codes(run_checks([ItemInput("AML5", 25, "qd", 7)], Context()), BLOCK) == ["dose_above_twice_max"]
    assert codes(run_checks([ItemInput("AML5", 50, "qd", 7)], Context()), BLOCK) == ["dose_above_twice_max"]


def test_refusals_list_every_blocking_finding_and_no_override_passes(world, client, api):
    consultation = world.consultation()
    body = {"consultation_id": consultation.id, "items": [item("MOR30SR", 30, "bid", 3), item("AML5", 50)]}
    refused = client.post("/api/prescriptions", json=body, headers=api.doctor)
    assert refused.status_code == 422
    assert {f["code"] for f in refused.get_json()["findings"]} == {"special_control_drug", "dose_above_twice_max"}
    assert "吗啡" in refused.get_json()["message"] and "氨氯地平" in refused.get_json()["message"]


def test_the_indication_check_uses_confirmed_diagnoses_only(world):
    consultation = world.consultation()  # hypertension only
    draft = rxs.DraftInput([ItemInput("LT4_50", 50, "qd", 7)])
    assert "no_indication" in codes(rxs.check_draft(world.doctor.user, consultation.id, draft), WARN)
    world.claimed(icd10="E03.9", name="甲状腺功能减退症")  # claimed: does not count
    assert "no_indication" in codes(rxs.check_draft(world.doctor.user, consultation.id, draft), WARN)
    world.diagnosis(icd10="E03.9", name="甲状腺功能减退症")  # confirmed
    assert rxs.check_draft(world.doctor.user, consultation.id, draft) == []


def test_an_override_needs_a_coded_reason_and_words(world, client, api):
    consultation = world.consultation()
    rx = rxs.create_draft(world.doctor.user, consultation.id, rxs.DraftInput([ItemInput("AML5", 15, "qd", 7)]))
    url = f"/api/prescriptions/{rx.id}/sign"
    missing = client.post(url, json={"override_reason": "已告知患者"}, headers=api.doctor)
    assert missing.status_code == 422 and missing.get_json()["reason"] == "override_required"
    assert [f["code"] for f in missing.get_json()["findings"]] == ["dose_above_max"]
    unknown = client.post(url, json={"override_code": "because", "override_reason": "已告知患者"}, headers=api.doctor)
    assert unknown.status_code == 422 and "override_code" in unknown.get_json()["errors"]["json"]
    for bare in ("ok", "OK.", "好的", "  "):
        refused = client.post(
            url, json={"override_code": "specialist_advice", "override_reason": bare}, headers=api.doctor
        )
        assert refused.get_json()["reason"] == "override_reason_required", bare
    signed = client.post(
        url, json={"override_code": "specialist_advice", "override_reason": "心内科会诊建议加量"}, headers=api.doctor
    )
    assert signed.status_code == 200 and signed.get_json()["override_code"] == "specialist_advice"
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="prescription", action="sign")).scalar_one()
    assert (
        entry.detail["override_code"] == "specialist_advice" and entry.detail["override_reason"] == "心内科会诊建议加量"
    )
    trail = rxs.verify_integrity(rxs.get(rx.id))
    assert trail["doctor_signature"] is True
    content = rxs.canonical_content(rxs.get(rx.id))
    assert content["override_code"] == "specialist_advice" and content["override_reason"] == "心内科会诊建议加量"


def test_a_contraindication_is_refused_at_signing_whatever_the_reason(world):
    consultation = world.consultation(icd10="I20.9", name="心绞痛")
    draft = rxs.DraftInput([ItemInput("SIL50", 50, "prn", 3), ItemInput("ISMN20", 20, "bid", 3)])
    with pytest.raises(ValidationFailed) as refused:
        rxs.create_draft(world.doctor.user, consultation.id, draft)
    assert refused.value.reason == "contraindicated_combination"
    assert refused.value.extra["findings"][0]["severity"] == "block"


def test_the_catalogue_gives_each_drug_its_frequency(world, client, api):
    drugs = client.get("/api/drugs?q=xdnf", headers=api.doctor).get_json()
    sildenafil = next(d for d in drugs if d["code"] == "SIL50")
    assert sildenafil["default_frequency"] == "prn"  # the editor starts a new line at it (see the browser test)
