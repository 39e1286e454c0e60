"""Notifications read as words in the user's language with a link to what they are about; the
unread count in the menu; the event's name never shows. Also the QR's default base URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import force_locale

from core import notify
from core.config import _served_at
from core.i18n import moment
from tests.conftest import page_login
from tests.journey.helpers import HYPERTENSION, PATIENT, approved_prescription, call

# Every event the services store for a user's inbox (grep notify_user / notify_users / announce).
STORED_EVENTS = [
    *(f"consultation.{e}" for e in ("waiting", "accepted", "completed", "referred", "cancelled", "expired")),
    "consultation.handover",
    "consultation.kept",
    "consultation.call_started",
    "prescription.signed",
    "prescription.approved",
    "prescription.rejected",
    *(f"case.{e}" for e in ("invited", "urgent", "invitation_answered", "started", "cancelled", "concluded")),
    *(f"order.{e}" for e in ("paid", "payment_failed", "dispensed", "refunded")),
    *(f"delivery.{e}" for e in ("assigned", "packed", "picked_up", "in_transit", "delivered", "failed", "returned")),
]


def test_every_stored_event_reads_as_words_in_both_languages(app):
    assert set(STORED_EVENTS) <= notify.registered_events()
    payload = {"prescription_id": 7, "order_id": 3, "case_id": 2, "consultation_id": 5, "title": "标题"}
    with app.test_request_context():
        for event in STORED_EVENTS:
            for locale in ("zh", "en"):
                with force_locale(locale):
                    notice = notify.readable(event, payload, "patient")
                assert notice.title and notice.url and event not in notice.title + notice.body, (event, locale)
                if locale == "zh":
                    assert not re.search(r"[A-Za-z]{3,}", notice.title + notice.body), (event, notice)


def test_an_event_nobody_described_still_reads_as_words(app):
    with app.test_request_context():
        notice = notify.readable("something.new", {"url": "/orders"})
    assert notice.title == "新通知" and notice.url == "/orders"


def test_approval_reads_as_words_with_pay_for_the_patient_and_counts_as_unread(demo_client):
    rx = approved_prescription(demo_client, HYPERTENSION)
    page_login(demo_client, PATIENT)
    home = demo_client.get("/").get_data(as_text=True)
    unread = int(re.search(r'id="notify-count"[^>]*>(\d+)<', home).group(1))
    assert unread >= 2  # consultation accepted, prescription approved
    html = demo_client.get("/notifications").get_data(as_text=True)
    assert "处方已通过审核，请支付" in html and "药师已审核通过您的处方（原发性高血压）" in html
    assert f'href="/orders/new?prescription={rx["id"]}">去支付</a>' in html
    assert f'href="/prescriptions/{rx["id"]}"' in html
    assert "prescription.approved" not in html and "consultation.accepted" not in html
    # Opening the inbox reads them: the count is gone.
    assert re.search(r'id="notify-count"[^>]*></span>', demo_client.get("/").get_data(as_text=True))
    # The API carries the same words.
    items = call(demo_client, {}, "get", "/api/notifications")  # his page session
    approved = next(i for i in items if i["event"] == "prescription.approved")
    assert approved["notice"]["action_url"] == f"/orders/new?prescription={rx['id']}"
    assert approved["notice"]["title"] == "处方已通过审核，请支付"


def test_the_doctor_reads_the_approval_without_a_pay_button(demo_client):
    rx = approved_prescription(demo_client, HYPERTENSION)
    page_login(demo_client, "doc28")
    html = demo_client.get("/notifications").get_data(as_text=True)
    assert "处方已审核通过" in html and f'href="/prescriptions/{rx["id"]}"' in html
    assert "/orders/new" not in html and "去支付" not in html


def test_the_qr_base_url_defaults_to_where_the_server_serves():
    assert _served_at("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert _served_at("0.0.0.0", 8000) == "http://127.0.0.1:8000"
    assert _served_at("::1", 8000) == "http://[::1]:8000"


def test_times_read_without_seconds_and_a_midnight_deadline_reads_24_00(app):
    with app.test_request_context():
        with force_locale("zh"):
            assert moment(datetime(2026, 12, 3, 16, 0, tzinfo=UTC), deadline=True) == "12月3日 24:00"
            assert moment("2026-12-03T08:05:09+08:00") == "12月3日 08:05"
        with force_locale("en"):
            assert moment(datetime(2026, 12, 3, 0, 5, 9, tzinfo=UTC)) == "3 Dec 08:05"


def test_every_event_the_code_sends_has_words(app):
    """Scan the code for the events it notifies people of: each one reads as a title in words."""
    import re

    from core.config import ROOT
    from core.notify import registered_events

    sent = set()
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {"core", "hospital", "pharmacy", "insurance", "chronic"}:
            sent.update(re.findall(r'notify_users?\([^"\n]*?\n?[^"\n]*?"([a-z_]+\.[a-z_]+)"', path.read_text("utf-8")))
    assert {"prescription.signed", "chronic.alert", "case.started"} <= sent  # the scan finds what it looks for
    assert sent - registered_events() == set()
