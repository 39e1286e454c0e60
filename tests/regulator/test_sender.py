"""The sender against the mock platform on a loopback port: reports arrive once, a refused one is
marked failed with the platform's reason and shown to the administrator, who sends it again; the
day's counts reconcile; `flask regulator send` and `reconcile` do the same from the command line."""

from __future__ import annotations

import threading

from core import clock
from core.extensions import db
from hospital.models.network import Doctor
from regulator import reconcile, sender
from regulator.models import RegulatorReconciliation, ReportStatus
from tests.conftest import page_login
from tests.regulator.conftest import DOCTOR, outbox, user

ORG = "H35010000001"


def _doctor() -> Doctor:
    return db.session.execute(db.select(Doctor).filter_by(user_id=user(DOCTOR).id)).scalar_one()


def test_the_sender_delivers_every_report_once_and_the_day_reconciles(feed, flow, platform):
    consultation = flow.consultation()
    flow.prescription(consultation)
    flow.complete(consultation)
    result = sender.send_due()
    assert len(result.sent) == 4 and result.failed == [] and result.retrying == []
    assert all(r.status == ReportStatus.SENT and r.receipt_no for r in outbox())
    assert sender.send_due().sent == []  # nothing twice
    assert sorted(r["msgid"] for r in platform.reports()) == sorted(r.msgid for r in outbox())
    checked = reconcile.reconcile(clock.today())
    assert checked.balanced and checked.counts["consultation_start"] == {"ours": 1, "theirs": 1}


def test_server_errors_and_lost_answers_are_retried_under_the_same_msgid(feed, flow, platform):
    flow.consultation()
    platform.faults(fail_next=1)
    assert sender.send_due().retrying  # 500: try again later
    [row] = outbox()
    assert row.status == ReportStatus.PENDING and row.attempts == 1 and row.last_error.startswith("500")
    platform.faults(drop_next=1)
    assert sender.send_due().retrying  # stored, but the answer was lost
    assert sender.send_due().sent == [row.msgid]
    [row] = outbox()
    assert row.attempts == 3 and row.status == ReportStatus.SENT
    assert [r["msgid"] for r in platform.reports()] == [row.msgid]


def test_a_report_the_platform_refuses_is_failed_with_its_reason_and_not_retried(feed, flow, platform):
    doctor = _doctor()
    doctor.license_no = ""  # the platform requires the practising licence number
    db.session.commit()
    flow.consultation()
    result = sender.send_due()
    assert len(result.failed) == 1
    [row] = outbox()
    assert row.status == ReportStatus.FAILED and row.error_field == "data.doctor_license_no"
    assert row.last_error.startswith("400") and "doctor_license_no" in row.last_error
    assert sender.send_due(waiting_too=True).failed == []  # never tried again by itself
    assert platform.reports() == []
    checked = reconcile.reconcile(clock.today())
    assert not checked.balanced and checked.counts["consultation_start"] == {"ours": 1, "theirs": 0}


def test_the_admin_sees_the_refusal_and_sends_it_again_once_corrected(feed, flow, platform):
    doctor = _doctor()
    doctor.license_no = ""
    db.session.commit()
    flow.consultation()
    sender.send_due()
    [row] = outbox()
    client = feed.test_client()
    page_login(client, "admin")
    page = client.get("/admin/regulator").get_data(as_text=True)
    assert "data.doctor_license_no" in page and row.msgid in page
    doctor = _doctor()
    doctor.license_no = "110350100000028"
    db.session.commit()
    html = client.get("/admin/regulator").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/admin/regulator/reports/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    [row] = outbox()
    assert row.status == ReportStatus.PENDING and row.payload["doctor_license_no"] == "110350100000028"
    client.post("/admin/regulator/send", data={"csrf_token": token})
    assert outbox()[0].status == ReportStatus.SENT
    client.post("/admin/regulator/reconcile", data={"csrf_token": token, "date": clock.today().isoformat()})
    page = client.get("/admin/regulator").get_data(as_text=True)
    assert db.session.execute(db.select(RegulatorReconciliation)).scalar_one().balanced
    assert "数量一致" in page  # the result in words, Chinese by default


def test_only_administrators_reach_the_page(feed, flow):
    client = feed.test_client()
    page_login(client, DOCTOR)
    assert client.get("/admin/regulator").status_code == 403
    assert client.post("/admin/regulator/send").status_code in (400, 403)


def test_the_command_line_sends_and_reconciles(feed, flow, platform):
    flow.consultation()
    runner = feed.test_cli_runner()
    sent = runner.invoke(args=["regulator", "send"])
    assert sent.exit_code == 0 and "sent 1" in sent.output
    day = clock.today().isoformat()
    checked = runner.invoke(args=["regulator", "reconcile", "--date", day])
    assert checked.exit_code == 0 and "balanced" in checked.output
    platform.faults(down=True)
    unreachable = runner.invoke(args=["regulator", "reconcile", "--date", day])
    assert unreachable.exit_code == 1 and "unreachable" in unreachable.output
    results = db.session.execute(db.select(RegulatorReconciliation).order_by(RegulatorReconciliation.id)).scalars()
    assert [r.balanced for r in results] == [True, False]


def test_two_drains_at_once_send_each_report_once(feed, flow, platform):
    """The periodic drain and `flask regulator send` overlapping: the platform keeps each message
    once and each report records one answer."""
    for _ in range(2):
        consultation = flow.consultation()
        flow.prescription(consultation)
        flow.complete(consultation)
    platform.faults(delay_ms=50)  # slow enough for the two drains to meet on the same reports
    errors: list[BaseException] = []

    def drain() -> None:
        with feed.app_context():
            try:
                sender.send_due(waiting_too=True)
            except BaseException as error:  # noqa: BLE001  (reported to the test below)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    rows = outbox()
    assert len(rows) == 8 and all(r.status == ReportStatus.SENT for r in rows)
    received = [r["msgid"] for r in platform.reports()]
    assert sorted(received) == sorted(r.msgid for r in rows)
    assert reconcile.reconcile(clock.today()).balanced
