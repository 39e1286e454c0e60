"""Every resident is insured: his insurance derived from the resident ID alone.

Basic medical insurance covers nearly everyone in China, either as an employee (职工, 310, with a
personal account) or as a resident (城乡居民, 390, without one). The mock has no civil registry,
so it derives a stable insurance record from the 18-digit resident ID (GB 11643):
- where he is insured: the administrative division in the first 6 digits;
- the scheme: children and students under 18 are residents; working-age adults are mostly
  employees; over 60, retired employees and residents half and half;
- an employee's personal-account balance (300 to 3,000 yuan); a resident has none;
- this year's outpatient spending so far: nothing yet, half the deductible, or the deductible met.
The same ID always gives the same record. Deductibles and fund shares per scheme and drug class
(A whole, B after its self-paid share, C not at all) are the policy's (policy.POLICY).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

EMPLOYEE, RESIDENT = "310", "390"
OUTPATIENT, CHRONIC = "11", "14"
YEAR_STAGES = ("none", "half", "met")  # how much of this year's deductible is used already


@dataclass(frozen=True)
class Derived:
    """A resident's insurance as the mock derives it (money in fen)."""

    insuplc_admdvs: str
    insutype: str
    gend: str  # 1 male, 2 female (the 17th digit's parity)
    brdy: date
    balc: int
    year_stage: str
    deductible_used: dict[str, int]  # med_type -> fen used this year

    @property
    def deductible_met(self) -> bool:
        return self.year_stage == "met"


def _birth_date(certno: str) -> date | None:
    try:
        return date(int(certno[6:10]), int(certno[10:12]), int(certno[12:14]))
    except ValueError:
        return None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _scheme(age: int, draw: int) -> str:
    if age < 18:
        return RESIDENT
    if age < 60:
        return RESIDENT if draw % 4 == 0 else EMPLOYEE
    return EMPLOYEE if draw % 2 == 0 else RESIDENT


def derive(certno: str, policy: dict, today: date) -> Derived | None:
    """The insurance of the resident with this ID, or None when it is not a resident ID."""
    certno = certno.strip().upper()
    if len(certno) != 18 or not certno[:17].isdigit() or not (certno[17].isdigit() or certno[17] == "X"):
        return None
    born = _birth_date(certno)
    if born is None or born > today:
        return None
    draw = int(hashlib.sha256(certno.encode()).hexdigest()[:12], 16)
    insutype = _scheme(_age(born, today), draw)
    stage = YEAR_STAGES[(draw // 7) % 3]
    share = {"none": 0, "half": 50, "met": 100}[stage]
    schemes = policy["schemes"][insutype]
    return Derived(
        insuplc_admdvs=certno[:6],
        insutype=insutype,
        gend="1" if int(certno[16]) % 2 else "2",
        brdy=born,
        balc=((draw // 21) % 28 + 3) * 10_000 if insutype == EMPLOYEE else 0,
        year_stage=stage,
        deductible_used={med: schemes[med]["deductible"] * share // 100 for med in (OUTPATIENT, CHRONIC)},
    )
