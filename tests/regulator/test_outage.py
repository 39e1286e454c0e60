"""The platform down for a while, then back: the mock runs as its own process (`python -m
regulator.mock_platform`) with its own store file. While it is down the hospital works on and its
reports wait in the outbox; a restart in the middle and a lost answer change nothing: every event
arrives exactly once and the day's counts reconcile."""

from __future__ import annotations

import pytest

from core import clock
from regulator import reconcile, sender
from regulator.models import ReportStatus
from tests.regulator.conftest import ProcessPlatform, outbox

pytestmark = pytest.mark.live


@pytest.fixture
def process_platform(tmp_path, demo_app):
    served = ProcessPlatform(tmp_path / "platform.db", tmp_path / "platform.log")
    demo_app.config.update(REGULATOR_URL=served.url, REGULATOR_BACKOFF=0.0, REGULATOR_TIMEOUT=10.0)
    yield served
    served.stop()


def test_down_for_a_while_then_back_every_event_arrives_once(process_platform, flow):
    platform = process_platform
    first = flow.consultation()  # the platform has not started yet: nobody answers
    flow.prescription(first)
    result = sender.send_due()
    assert result.sent == [] and len(result.retrying) == 1  # stops at the first unreachable try
    assert all(r.status == ReportStatus.PENDING for r in outbox())
    assert outbox()[0].last_error == "unreachable"  # shown in words on the admin page

    platform.start()
    platform.faults(down=True)  # up, but refusing with 503
    second = flow.consultation("E11.9", "ENDO", "doc27")
    assert sender.send_due().sent == []
    platform.faults(drop_next=1)  # back: the first report is stored but its answer is lost
    drained = sender.send_due()
    assert len(drained.retrying) == 1 and drained.sent == []
    platform.stop()  # and it goes away again mid-way
    flow.complete(first)
    flow.refer(second)
    assert sender.send_due().sent == []
    platform.start()  # back for good, its store intact
    for _ in range(10):
        if not sender.send_due(waiting_too=True).retrying:
            break
    rows = outbox()
    assert rows and all(r.status == ReportStatus.SENT for r in rows)
    received = [r["msgid"] for r in platform.reports()]
    assert sorted(received) == sorted(r.msgid for r in rows)  # each exactly once
    assert len(received) == len(set(received)) == 7  # 3 + 1 before, end + end and referral after
    checked = reconcile.reconcile(clock.today())
    assert checked.balanced, checked.counts
    assert checked.counts["consultation_start"] == {"ours": 2, "theirs": 2}
    assert checked.counts["referral"] == {"ours": 1, "theirs": 1}
