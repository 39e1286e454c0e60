"""Demo data: the demo patients are insured with the (mock) insurer. Idempotent."""

from __future__ import annotations

import click

from core import resident_id
from insurance.gateway import InsurerUnreachable, NotSupported, get_gateway

# Chronic-disease filings of the demo patients, in the order the hospital seeds them
# (hypertension + diabetes; COPD; hyperlipidaemia; coronary disease + hypothyroidism; none).
DEMO_FILINGS = [
    [("I10", "原发性高血压"), ("E11", "2型糖尿病")],
    [("J44", "慢性阻塞性肺疾病")],
    [("E78", "高脂血症")],
    [("I25", "冠状动脉粥样硬化性心脏病"), ("E03", "甲状腺功能减退症")],
]


# This year's spending so far, so that the demo shows both cases: the first demo patient has met
# his deductibles (the fund pays its share at once), the second has used none of them yet.
DEMO_YEAR = [
    {"11": {"deductible_used": "800.00"}, "14": {"deductible_used": "200.00"}},
    {"11": {"deductible_used": "0.00"}, "14": {"deductible_used": "0.00"}},
]


def _insurance_of(index: int, patient: dict) -> dict:
    """Employees with an account for most adults; children and every third adult are residents."""
    ident = resident_id.parse(patient["id_number"])
    child = ident.birth_date.year >= 2008
    insutype = patient.get("insutype") or ("390" if child or index % 3 == 2 else "310")
    filings = patient.get("chronic") or (DEMO_FILINGS[index] if index < len(DEMO_FILINGS) else [])
    return {
        "certno": ident.number,
        "psn_name": patient["name"],
        "gend": "1" if ident.sex == "M" else "2",
        "brdy": ident.birth_date.isoformat(),
        "insutype": insutype,
        "balc": "0.00" if insutype == "390" else "1500.00",  # residents have no personal account
        "chronic": [{"code": code, "name": name, "begndate": "2020-01-01"} for code, name in filings],
        **({"ytd": DEMO_YEAR[index]} if index < len(DEMO_YEAR) else {}),
    }


def seed_demo(patients: list[dict]) -> None:
    """Insure the demo patients ({"name", "id_number", "phone"}); balances are kept on a re-run."""
    gateway = get_gateway()
    for index, patient in enumerate(patients):
        try:
            gateway.enroll(_insurance_of(index, patient))
        except NotSupported:
            return  # a real insurer: nobody to enrol
        except InsurerUnreachable:
            click.echo("The mock insurer is not running (INSURANCE_URL): demo patients not insured; seed again later.")
            return


def seed_from_context(context: dict) -> None:
    """The `flask seed-demo` step: insure the patients the hospital's seed created."""
    seed_demo(context.get("patients", []))
