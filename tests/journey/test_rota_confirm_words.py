"""The rota's remove confirmation says the day once, in words, and the shift's hours (an end on the
next day says so), in Chinese and in English: not "2026-12-16 08:00–2026-12-16 12:00"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import clock
from core.extensions import db
from core.models import User
from hospital.models.network import Doctor
from hospital.services import rota
from tests.conftest import page_login

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _confirm_text(client, shift, doctor) -> str:
    url = f"/admin/rota?department={doctor.department_id}&week={shift.day}&confirm={shift.id}"
    html = client.get(url).get_data(as_text=True)
    box = re.search(r'<section[^>]*id="confirm-remove".*?</section>', html, re.S).group(0)
    return re.sub(r"<[^>]+>|\s+", " ", box)


@pytest.mark.parametrize(
    ("lang", "morning", "oncall"),
    [
        ("zh", "{m}月{d}日的上午班（08:00–12:00）", "{m}月{d}日的24小时值班（08:00–次日 08:00）"),
        ("en", "on {d} {mon}, 08:00–12:00.", "on {d} {mon}, 08:00–08:00 next day."),
    ],
)
def test_the_remove_confirmation_says_the_day_once_in_words(demo_client, lang, morning, oncall):
    page_login(demo_client, "admin")
    demo_client.set_cookie("lang", lang)
    user = db.session.execute(db.select(User).filter_by(username="doc28")).scalar_one()
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user.id)).scalar_one()
    for kind, expected, days_ahead in (("morning", morning, 20), ("oncall", oncall, 21)):
        day = clock.today() + timedelta(days=days_ahead)  # two days: the shifts would overlap
        words = {"m": day.month, "d": day.day, "mon": MONTHS[day.month - 1]}
        text = _confirm_text(demo_client, rota.add_shift(doctor.id, day, kind, 5), doctor)
        assert expected.format(**words) in text, text
        assert str(day) not in text and not re.search(r"\d{4}-\d\d-\d\d", text), text
