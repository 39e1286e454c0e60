"""The envelope (msgid, amounts), voucher tokens and the fault switch: pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from insurance import envelope
from insurance.mock_insurer import tokens
from insurance.mock_insurer.faults import FaultSwitch, SimulatedTimeout

SECRET = b"test-secret"
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_msgid_is_code_time_and_sequence():
    msgid = envelope.make_msgid("H35010000001", datetime(2026, 3, 1, 10, 5, 9), 12_345)
    assert msgid == "H35010000001" + "20260301100509" + "2345"
    assert len(msgid) == 30 and envelope.valid_msgid(msgid)
    assert not envelope.valid_msgid("H3501000000120260301100509")  # too short
    with pytest.raises(envelope.EnvelopeError):
        envelope.make_msgid("SHORT", NOW, 1)


def test_amounts_cross_the_envelope_as_yuan():
    assert envelope.yuan(12_345) == "123.45"
    assert envelope.yuan(5) == "0.05"
    assert envelope.yuan(-150) == "-1.50"
    assert envelope.fen("123.45") == 12_345
    assert envelope.fen(0.1) == 10
    assert envelope.fen("7") == 700
    with pytest.raises(envelope.EnvelopeError):
        envelope.fen("abc")


def test_request_and_response_envelopes_carry_the_real_fields():
    sender = {"fixmedins_code": "H35010000001", "fixmedins_name": "医院", "mdtrtarea_admvs": "350100"}
    msgid = envelope.make_msgid("H35010000001", NOW, 1)
    req = envelope.request("1101", msgid, {"data": {}}, sender, NOW, "350102")
    for key in ("infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "infver", "opter_type", "inf_time", "input"):
        assert key in req
    assert envelope.check_request(req) is req
    resp = envelope.response(req, 0, {"x": 1}, "350100" + "20260301100000" + "0000000001", NOW)
    assert resp["infcode"] == 0 and resp["output"] == {"x": 1} and len(resp["inf_refmsgid"]) == 30
    with pytest.raises(envelope.EnvelopeError):
        envelope.check_request({**req, "msgid": "bad"})


def test_voucher_token_round_trip():
    token = tokens.issue(SECRET, "35000000000000000001", NOW, 60, nonce="n1")
    claims = tokens.verify(SECRET, token, NOW + timedelta(seconds=59))
    assert (claims.psn_no, claims.nonce) == ("35000000000000000001", "n1")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"), "forged"),
        (lambda t: t.replace("ec1.", "ec2."), "malformed"),
        (lambda t: "garbage", "malformed"),
    ],
)
def test_voucher_tokens_refuse_forgery(mutate, reason):
    token = tokens.issue(SECRET, "35000000000000000001", NOW, 60)
    with pytest.raises(tokens.TokenError) as err:
        tokens.verify(SECRET, mutate(token), NOW)
    assert err.value.reason == reason


def test_voucher_token_signed_by_another_key_is_forged():
    token = tokens.issue(b"other", "35000000000000000001", NOW, 60)
    with pytest.raises(tokens.TokenError, match="forged"):
        tokens.verify(SECRET, token, NOW)


def test_voucher_token_expires():
    token = tokens.issue(SECRET, "35000000000000000001", NOW, 60)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify(SECRET, token, NOW + timedelta(seconds=60))


def test_fault_switch_fail_next_counts_down_and_spares_control_messages():
    switch = FaultSwitch({"fail_next": 2, "infnos": ["2207"]})
    assert switch.before("1101") is None  # not a hit transaction
    assert switch.before("M002") is None
    assert switch.before("2207") and switch.before("2207")
    assert switch.before("2207") is None
    assert switch.current()["fail_next"] == 0


def test_fault_switch_timeout_after_charge_hits_writes_only():
    switch = FaultSwitch({"timeout_after_charge": True, "hang_ms": 1})
    switch.after("2206", {"infcode": 0}, is_write=False)
    with pytest.raises(SimulatedTimeout):
        switch.after("2207", {"infcode": 0}, is_write=True)
    assert switch.update({}, replace=True)["timeout_after_charge"] is False
