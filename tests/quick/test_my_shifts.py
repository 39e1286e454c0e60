"""The doctor's own rota: GET /api/me/shifts (bounded dates, 422 naming the field), the /rota page
with department and hospital, and the shift-and-handover partial on the workbench."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from core.models import User
from hospital.models.network import Doctor
from tests.conftest import DEMO_PASSWORD, csrf_of, page_login

URL = "/api/me/shifts"


def _doctor_row(username: str) -> Doctor:
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one()
    return db.session.execute(db.select(Doctor).filter_by(user_id=user.id)).scalar_one()


def test_a_doctor_reads_his_own_shifts_of_this_week_and_the_next(demo_client, demo_users):
    headers = demo_users.login("doc28", DEMO_PASSWORD)["headers"]
    doctor = _doctor_row("doc28")
    shifts = demo_client.get(URL, headers=headers).get_json()
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    assert shifts and {s["doctor_id"] for s in shifts} == {doctor.id}
    assert all(str(monday) <= s["day"] <= str(monday + timedelta(days=13)) for s in shifts)
    assert any(s["day"] == str(today) for s in shifts)
    assert shifts[0]["hospital_name_zh"] == doctor.hospital.name_zh
    assert shifts[0]["department_name_zh"] == doctor.department.name_zh
    one_day = demo_client.get(URL, query_string={"from": str(today), "to": str(today)}, headers=headers).get_json()
    assert [s["day"] for s in one_day] == [str(today)] * len(one_day) and one_day


def test_dates_are_bounded_and_a_bad_one_is_named(demo_client, demo_users):
    headers = demo_users.login("doc28", DEMO_PASSWORD)["headers"]
    for query, field in (
        ({"from": "2026-13-01"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "1999-12-31"}, "from"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2026-12-10", "to": "2026-12-01"}, "to"),
        ({"from": "2026-01-01", "to": "2026-12-31"}, "to"),
    ):
        answer = demo_client.get(URL, query_string=query, headers=headers)
        body = answer.get_json()
        assert answer.status_code == 422, query
        assert any(field in fields for fields in body["errors"].values()), (query, body)


def test_only_doctors_have_shifts_of_their_own(demo_client, demo_users):
    patient = demo_users.login("13800000001", DEMO_PASSWORD)["headers"]
    assert demo_client.get(URL, headers=patient).status_code == 403
    assert demo_client.get(URL).status_code == 401


def test_the_rota_page_names_department_and_hospital_and_the_workbench_has_the_handover(demo_client):
    page_login(demo_client, "doc28")
    doctor = _doctor_row("doc28")
    html = demo_client.get("/rota").get_data(as_text=True)
    assert f"{doctor.department.name_zh} · {doctor.hospital.name_zh}" in html
    workbench = demo_client.get("/doctor").get_data(as_text=True)
    assert "data-my-rota" in workbench and "js/my_rota.js" in workbench and "交班" in workbench


def test_pages_and_partials_speak_english_at_the_switch(demo_client):
    page_login(demo_client, "doc28")
    token = csrf_of(demo_client.get("/").get_data(as_text=True))
    demo_client.post("/settings/language", data={"csrf_token": token, "locale": "en", "next": "/"})
    workbench = demo_client.get("/doctor").get_data(as_text=True)
    assert "Shift and handover" in workbench and "Hand over" in workbench and "交班" not in workbench
    page = demo_client.get("/quick-replies").get_data(as_text=True)
    assert "My quick replies" in page and "New quick reply" in page and "常用语" not in page
    texts = page.split('id="client-texts">')[1].split("</script>")[0]
    assert '"Morning shift": "Morning shift"' in texts and '"Saved.": "Saved."' in texts


def test_the_workbench_says_the_end_of_his_shift_as_the_shift_desk_does(demo_client):
    """Its hour alone when the shift ends today, else the day as people say it (12月4日 08:00):
    not the full timestamp the records print."""
    from hospital.services import duty

    page_login(demo_client, "doc28")
    shift = duty.current_shift(_doctor_row("doc28").id)
    assert shift is not None  # doc28 is on call around the clock in the demo rota
    local = clock.to_local(shift.ends_at)
    hour, dated = f"{local:%H:%M}", f"{local.month}月{local.day}日 {local:%H:%M}"
    today_before = clock.today()
    html = demo_client.get("/doctor").get_data(as_text=True)
    line = html.split('id="on-shift">')[1].split("</p>")[0]
    # The day the page was rendered on (read on both sides of the request: midnight may pass).
    expected = {hour if local.date() == day else dated for day in (today_before, clock.today())}
    assert any(f"值班至 {text}。" in line for text in expected), line
    assert str(local.year) not in line
