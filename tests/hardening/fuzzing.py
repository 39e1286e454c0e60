"""Schema-driven fuzzing of the API with schemathesis: every operation of /api/openapi.json,
with a role's bearer token, cases drawn with a fixed seed; any 5xx is a finding.

Used by the bounded run in the suite (tests/hardening/test_fuzz.py) and the long one
(`make fuzz`, FUZZ_EXAMPLES per operation).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from core.extensions import db

# Operations that end the caller's own session or stall the run for a reason of their own:
# they are covered by their own tests, and fuzzing them would only log the fuzzer out.
SKIPPED = {
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/logout-everywhere"),
    ("POST", "/api/me/password"),
    ("POST", "/api/users/{user_id}/reset-password"),
    ("POST", "/api/insurance/faults"),  # tells the insurer to be slow for up to a minute
}
SEED = 20261201


@dataclass(frozen=True)
class Finding:
    method: str
    path: str
    status: int
    body: str
    case: str


def operations(app):
    """The API's operations from its own OpenAPI document, served by the app under test."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


def fuzz(app, headers: dict, examples: int) -> tuple[Counter, list[Finding]]:
    """Run `examples` cases per operation; returns how many answers had each status, and every 5xx."""
    findings: list[Finding] = []
    statuses: Counter = Counter()
    for operation in operations(app):
        _fuzz_operation(operation, headers, examples, statuses, findings)
    return statuses, findings


def _cases(operation):
    """Valid cases and cases that break the schema (wrong types, missing fields, out of range)."""
    return st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))


def _fuzz_operation(operation, headers: dict, examples: int, statuses: Counter, findings: list[Finding]) -> None:
    """Up to `examples` cases of one operation, drawn with the fixed seed; 5xx go to findings."""

    @seed(SEED)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation))
    def run(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        statuses[response.status_code] += 1
        db.session.remove()  # each request as on a fresh server thread
        if response.status_code >= 500:
            findings.append(
                Finding(
                    operation.method.upper(),
                    operation.path,
                    response.status_code,
                    response.text[:300],
                    f"path={case.path_parameters} query={case.query} body={str(case.body)[:200]}",
                )
            )

    run()
