"""The whole API fuzzed from its OpenAPI document with each role's token (and none): a fixed
seed, a few cases per operation (a few hundred per role), and not one 5xx.

`make fuzz` runs the same with FUZZ_EXAMPLES cases per operation (50 there)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.hardening.fuzzing import fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = {
    "anonymous": None,
    "patient": "13800000001",
    "doctor": "doc01",
    "pharmacist": "pharm01",
    "dispatcher": "disp01",
    "admin": "admin",
}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_input_makes_the_api_answer_5xx(demo_app, demo_users, role):
    demo_app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    headers = demo_users.login(ROLES[role], DEMO_PASSWORD)["headers"] if ROLES[role] else {}
    statuses, findings = fuzz(demo_app, headers, EXAMPLES)
    assert sum(statuses.values()) >= 100 * min(EXAMPLES, 3), statuses  # a few hundred cases ran
    assert statuses[401] < sum(statuses.values()) / 2 or role == "anonymous", statuses  # still logged in
    assert not findings, "\n".join(f"{f.status} {f.method} {f.path}: {f.body} [{f.case}]" for f in findings[:20])
