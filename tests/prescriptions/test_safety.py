"""Every safety rule with real drug pairs from the formulary (DESIGN §3 Prescriptions)."""

from __future__ import annotations

import pytest

from hospital.services import formulary
from hospital.services.prescription_safety import BLOCK, WARN, Context, ItemInput, quantity_for, run_checks


@pytest.fixture
def loaded(world):
    return world


def codes(findings, severity=None):
    return [f.code for f in findings if severity in (None, f.severity)]


def items(*specs):
    return [ItemInput(code, dose, freq, days) for code, dose, freq, days in specs]


def test_plain_amlodipine_week_is_clean(loaded):
    assert run_checks(items(("AML5", 5, "qd", 7)), Context()) == []


def test_special_control_drugs_are_refused(loaded):
    for code in ("MOR30SR", "DZP25", "ATRO03", "I131_370"):
        assert "special_control_drug" in codes(run_checks(items((code, 1, "qd", 1)), Context()), BLOCK)


def test_at_most_five_items(loaded):
    five = items(
        ("AML5", 5, "qd", 7),
        ("ATO20", 20, "qn", 7),
        ("MF500", 500, "bid", 7),
        ("LT4_50", 50, "qd", 7),
        ("ALLO100", 100, "qd", 7),
    )
    assert "too_many_items" not in codes(run_checks(five, Context()))
    six = five + items(("CAD600", 600, "qd", 7))
    assert "too_many_items" in codes(run_checks(six, Context()), BLOCK)


def test_days_limits_plain_acute_long_and_stable(loaded):
    week = items(("AML5", 5, "qd", 7))
    eight = items(("AML5", 5, "qd", 8))
    assert run_checks(week, Context()) == []
    assert "too_many_days" in codes(run_checks(eight, Context()), BLOCK)
    assert "too_many_days" in codes(run_checks(items(("AML5", 5, "qd", 4)), Context(acute=True)), BLOCK)
    long = Context(long_prescription=True, long_reason="稳定期慢病")
    assert run_checks(items(("AML5", 5, "qd", 28)), long) == []
    assert "too_many_days" in codes(run_checks(items(("AML5", 5, "qd", 29)), long), BLOCK)
    stable = Context(stable=True, long_prescription=True, long_reason="病情稳定")
    assert run_checks(items(("AML5", 5, "qd", 84)), stable) == []
    assert "too_many_days" in codes(run_checks(items(("AML5", 5, "qd", 85)), stable), BLOCK)


def test_long_prescription_needs_a_reason_and_a_chronic_condition(loaded):
    assert "long_reason_required" in codes(run_checks(items(("AML5", 5, "qd", 28)), Context(long_prescription=True)))
    not_chronic = Context(chronic=False, long_prescription=True, long_reason="x")
    assert "long_not_chronic" in codes(run_checks(items(("AML5", 5, "qd", 14)), not_chronic), BLOCK)


def test_antimicrobials_never_on_a_long_prescription(loaded):
    long = Context(long_prescription=True, long_reason="慢病", stable=True)
    assert "long_not_allowed" in codes(run_checks(items(("AZI250", 500, "qd", 14)), long), BLOCK)
    assert "long_not_allowed" in codes(run_checks(items(("AMX250", 500, "tid", 14)), long), BLOCK)


def test_penicillin_allergy_warns_on_amoxicillin(loaded):
    found = run_checks(items(("AMX250", 500, "tid", 5)), Context(allergens=("penicillin",)))
    assert codes(found, WARN) == ["allergy"]
    assert run_checks(items(("AZI250", 500, "qd", 3)), Context(allergens=("penicillin",))) == []


def test_sulfonamide_allergy_warns_on_co_trimoxazole(loaded):
    drug = formulary.get_drug("SMZCO")
    group = next(g for g in drug.allergen_groups if "sulfonamide" in g)
    assert "allergy" in codes(run_checks(items(("SMZCO", 960, "bid", 3)), Context(allergens=(group,))), WARN)


def test_clopidogrel_with_omeprazole_interacts(loaded):
    found = run_checks(items(("CLO75", 75, "qd", 7), ("OME20", 20, "qd", 7)), Context())
    assert codes(found, WARN) == ["interaction"]
    assert "CYP2C19" in found[0].message or "氯吡格雷" in found[0].message


def test_clopidogrel_with_pantoprazole_does_not(loaded):
    assert run_checks(items(("CLO75", 75, "qd", 7), ("PAN40", 40, "qd", 7)), Context()) == []


def test_duplicate_ingredient_amlodipine_twice(loaded):
    found = run_checks(items(("AML5", 5, "qd", 7), ("VALAML", 1, "qd", 7)), Context())
    assert "duplicate_therapy" in codes(found, WARN)


def test_duplicate_class_two_statins(loaded):
    found = run_checks(items(("ATO20", 20, "qn", 7), ("ROS10", 10, "qn", 7)), Context())
    assert "duplicate_therapy" in codes(found, WARN)


def test_dose_above_maximum_daily_dose(loaded):
    assert run_checks(items(("AML5", 10, "qd", 7)), Context()) == []  # 10 mg is the maximum
    found = run_checks(items(("AML5", 10, "bid", 7)), Context())
    assert codes(found) == ["dose_above_max"] and "20" in found[0].message


def test_quantity_in_packages_is_rounded_up(loaded):
    aml = formulary.get_drug("AML5")  # 5 mg × 28 = 140 mg per box
    assert quantity_for(aml, 5, "qd", 7) == 1
    assert quantity_for(aml, 5, "qd", 28) == 1
    assert quantity_for(aml, 5, "qd", 29) == 2
    assert quantity_for(aml, 5, "bid", 28) == 2
    insulin = formulary.get_drug("INSGLA")  # 300 IU per pen
    assert quantity_for(insulin, 20, "qd", 28) == 2  # 560 IU


def test_unknown_drug_blocks(loaded):
    assert codes(run_checks(items(("NOPE", 1, "qd", 1)), Context()), BLOCK) == ["unknown_drug"]
