"""The 18-digit resident identity number of GB 11643-1999: check digit, birth date, sex, masking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"  # ISO 7064 MOD 11-2: index is the weighted sum mod 11
_PATTERN = re.compile(r"^\d{17}[\dX]$")


class InvalidResidentId(ValueError):
    """Why a number is not a valid resident ID; `reason` is machine-readable."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "M" or "F": the 17th digit is odd for men


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse(raw: str, today: date | None = None) -> ResidentId:
    """Validate a resident ID and derive birth date and sex; raise InvalidResidentId otherwise."""
    number = (raw or "").strip().upper()
    if not _PATTERN.match(number):
        raise InvalidResidentId("format")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentId("birth_date") from None
    if born.year < 1900 or born > (today or date.today()):
        raise InvalidResidentId("birth_date")
    if check_digit(number[:17]) != number[17]:
        raise InvalidResidentId("check_digit")
    return ResidentId(number, born, "M" if int(number[16]) % 2 else "F")


def mask(number: str) -> str:
    """Show the first 4 and last 4 characters only, e.g. 3501**********123X."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if number else ""


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
