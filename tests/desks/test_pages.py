"""Every desk's home says what to do now; the review confirms and offers reasons; doctors see their
rota; the rota asks before removing a shift; the audit log speaks in names and words."""

from __future__ import annotations

from datetime import timedelta

from core import clock
from core.extensions import db
from core.models import User
from hospital.models.consultations import Consultation
from hospital.models.network import Doctor
from hospital.models.prescriptions import Prescription
from hospital.services import rota
from tests.conftest import csrf_of, page_login
from tests.desks.conftest import PATIENT


def test_every_role_home_says_what_to_do(shop, dispensed):
    shop.rx.add(shop.user(PATIENT).id, approve=False)  # one waiting for review
    dispensed(1)
    for username, marker, text in (
        ("pharm01", 'id="home-review"', "审核队列"),
        ("pharm01", 'id="home-desk"', "药房"),
        ("disp01", 'id="home-dispatch"', "配送"),
        ("admin", 'id="home-admin"', "今日"),
        ("doc28", 'id="home-shift"', "我的排班"),
        ("exp01", 'id="home-cases"', "进入会诊室"),
    ):
        page_login(shop.client, username)
        html = shop.client.get("/").get_data(as_text=True)
        assert marker in html and text in html, (username, marker)
        assert "请从菜单开始" not in html
    page_login(shop.client, "doc28")
    doctor = db.session.execute(
        db.select(Doctor).join(User, Doctor.user_id == User.id).filter(User.username == "doc28")
    ).scalar_one()
    waiting = db.session.execute(
        db.select(db.func.count()).where(
            Consultation.department_id == doctor.department_id, Consultation.status == "waiting"
        )
    ).scalar_one()
    assert f"本科室有 {waiting} 位患者在候诊" in shop.client.get("/").get_data(as_text=True)
    page_login(shop.client, "pharm01")
    html = shop.client.get("/").get_data(as_text=True)
    count = int(html.split('id="home-review-count">')[1].split("<")[0])
    waiting = db.session.execute(db.select(db.func.count()).where(Prescription.status == "signed")).scalar_one()
    assert count == waiting >= 1


def test_approve_confirms_in_words_and_reject_offers_reasons(shop):
    first = shop.rx.add(shop.user(PATIENT).id, approve=False)
    second = shop.rx.add(shop.user(PATIENT).id, approve=False)
    page_login(shop.client, "pharm01")
    queue = shop.client.get("/pharmacist/review").get_data(as_text=True)
    assert 'id="queue-count"' in queue and 'id="queue-oldest"' in queue
    review = shop.client.get(f"/pharmacist/review/{first}").get_data(as_text=True)
    assert 'name="preset"' in review and "剂量超出推荐范围" in review
    done = shop.client.post(
        f"/pharmacist/review/{first}",
        data={"csrf_token": csrf_of(review), "decision": "approve"},
        follow_redirects=True,
    ).get_data(as_text=True)
    code = db.session.get(Prescription, first).code
    assert 'id="review-done"' in done and "已审核通过并签名" in done and code in done
    review = shop.client.get(f"/pharmacist/review/{second}").get_data(as_text=True)
    done = shop.client.post(
        f"/pharmacist/review/{second}",
        data={"csrf_token": csrf_of(review), "decision": "reject", "preset": ["0", "4"], "reason": "请核对"},
        follow_redirects=True,
    ).get_data(as_text=True)
    db.session.expire_all()
    rx = db.session.get(Prescription, second)
    assert rx.status == "rejected"
    assert rx.reject_reason.startswith("剂量超出推荐范围") and rx.reject_reason.endswith("请核对")
    assert "已驳回并退回医生" in done
    # A preset alone is a reason; nothing ticked and no words is still refused, next to the field.
    third = shop.rx.add(shop.user(PATIENT).id, approve=False)
    review = shop.client.get(f"/pharmacist/review/{third}").get_data(as_text=True)
    refused = shop.client.post(
        f"/pharmacist/review/{third}", data={"csrf_token": csrf_of(review), "decision": "reject", "reason": ""}
    )
    assert refused.status_code == 422 and 'id="e-reason"' in refused.get_data(as_text=True)


def test_doctor_sees_his_own_shifts(demo_client):
    page_login(demo_client, "doc28")
    page = demo_client.get("/rota")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "本周" in html and "下周" in html and 'id="my-shifts-1"' in html
    user = db.session.execute(db.select(User).filter_by(username="doc28")).scalar_one()
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user.id)).scalar_one()
    mine = rota.list_shifts(doctor_id=doctor.id, start=clock.today(), end=clock.today())
    assert mine and all(str(s.day) in html for s in mine)
    page_login(demo_client, "13800000001")
    assert demo_client.get("/rota").status_code == 403


def test_rota_names_hospitals_and_asks_before_removing(demo_client):
    page_login(demo_client, "admin")
    user = db.session.execute(db.select(User).filter_by(username="doc28")).scalar_one()
    doctor = db.session.execute(db.select(Doctor).filter_by(user_id=user.id)).scalar_one()
    day = clock.today() + timedelta(days=20)
    shift = rota.add_shift(doctor.id, day, "morning", 5)
    url = f"/admin/rota?department={doctor.department_id}&week={day}"
    html = demo_client.get(url).get_data(as_text=True)
    assert f"{doctor.hospital.name_zh} · {doctor.department.name_zh}" in html
    assert f'id="remove-{shift.id}"' in html and 'name="remove"' not in html  # no one-click removal
    confirm = demo_client.get(url + f"&confirm={shift.id}").get_data(as_text=True)
    assert 'id="confirm-remove"' in confirm and "确定删除这个班次吗" in confirm
    demo_client.post(
        "/admin/rota",
        data={"csrf_token": csrf_of(confirm), "remove": shift.id, "department": doctor.department_id, "week": day},
    )
    assert f'id="remove-{shift.id}"' not in demo_client.get(url).get_data(as_text=True)


def test_audit_log_in_names_and_words(shop, dispensed):
    dispensed(1)
    page_login(shop.client, "admin")
    html = shop.client.get("/admin/audit").get_data(as_text=True)
    patient = shop.user(PATIENT)
    assert patient.name in html and "发药" in html and 'href="/orders/' in html
    only = shop.client.get(f"/admin/audit?patient={patient.id}").get_data(as_text=True)
    assert 'id="audit-filter"' in only


def test_desks_speak_english_at_the_switch(shop, dispensed):
    dispensed(1)
    for username, path, words in (
        ("disp01", "/dispatch", ("Give the selected parcels to a courier", "Waiting for packing")),
        ("admin", "/admin/dashboard", ("Consultations per department", "Download CSV")),
        ("admin", "/admin/audit", ("Whose data", "dispensed")),
        ("pharm01", "/", ("Prescriptions to review", "Open the review queue")),
        ("doc28", "/rota", ("This week", "Next week")),
    ):
        page_login(shop.client, username)
        token = csrf_of(shop.client.get("/").get_data(as_text=True))
        shop.client.post("/settings/language", data={"csrf_token": token, "locale": "en", "next": "/"})
        html = shop.client.get(path).get_data(as_text=True)
        assert all(w in html for w in words), (username, path)
