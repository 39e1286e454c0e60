"""The platform's HTTP interface as the hospital sees it: deliver one report, ask a day's counts.

Every answer becomes one of three outcomes, so the sender decides without reading HTTP:
accepted (a receipt), rejected (the platform refuses the report itself: 4xx, resending the same
message cannot help) or retry (down, slow, 5xx, a dropped answer: send the same message again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import requests
from flask import current_app

# 4xx answers that say "not now" rather than "never": these are retried.
TRANSIENT_4XX = {408, 425, 429}


@dataclass(frozen=True)
class Outcome:
    kind: str  # accepted | rejected | retry
    receipt_no: str = ""
    error: str = ""
    field: str = ""


# What is kept of a failed try when the platform did not answer at all; the administrator's page
# says it in words, the log keeps the technical detail.
UNREACHABLE, TOO_SLOW = "unreachable", "timeout"


class PlatformUnreachable(Exception):
    """The platform could not be asked (down, timed out, answered nonsense)."""


def _base() -> str:
    return current_app.config["REGULATOR_URL"].rstrip("/")


def _timeout() -> float:
    return current_app.config["REGULATOR_TIMEOUT"]


def deliver(envelope: dict) -> Outcome:
    """POST one report; never raises for the platform's troubles (they are outcomes)."""
    try:
        response = requests.post(f"{_base()}/api/v1/reports", json=envelope, timeout=_timeout())
    except requests.Timeout as error:
        current_app.logger.warning("supervision platform too slow: %s", error)
        return Outcome("retry", error=TOO_SLOW)
    except requests.RequestException as error:
        current_app.logger.warning("supervision platform unreachable: %s", error)
        return Outcome("retry", error=UNREACHABLE)
    body = _json(response)
    if response.ok and body.get("code") == 0 and body.get("receipt_no"):
        return Outcome("accepted", receipt_no=body["receipt_no"])
    message = str(body.get("message") or response.reason or "")[:500]
    if 400 <= response.status_code < 500 and response.status_code not in TRANSIENT_4XX:
        return Outcome("rejected", error=f"{response.status_code} {message}", field=str(body.get("field") or ""))
    return Outcome("retry", error=f"{response.status_code} {message}")


def day_counts(org_code: str, day: date) -> dict[str, int]:
    """The platform's count of our reports per type for events of that local day."""
    try:
        response = requests.get(
            f"{_base()}/api/v1/counts", params={"org_code": org_code, "date": day.isoformat()}, timeout=_timeout()
        )
    except requests.RequestException as error:
        raise PlatformUnreachable(f"{type(error).__name__}: {error}"[:500]) from error
    body = _json(response)
    if not response.ok or not isinstance(body.get("counts"), dict):
        raise PlatformUnreachable(f"{response.status_code} {body.get('message') or response.reason}"[:500])
    return {str(k): int(v) for k, v in body["counts"].items()}


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
