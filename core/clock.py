"""The one source of the current time, so tests can freeze it (prescription expiry, shifts)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: datetime | None = None
_tz = ZoneInfo("Asia/Shanghai")


def configure(tz_name: str) -> None:
    """Set the local time zone of the hospital network (shifts and validity days are local)."""
    global _tz
    _tz = ZoneInfo(tz_name)


def local_tz() -> ZoneInfo:
    return _tz


def now() -> datetime:
    """Aware UTC now (or the frozen instant)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_now() -> datetime:
    """Now in the hospital's local time zone."""
    return now().astimezone(_tz)


def today() -> date:
    """The local calendar day."""
    return local_now().date()


def to_local(value: datetime) -> datetime:
    return value.astimezone(_tz)


@contextmanager
def frozen(at: datetime):
    """Freeze the clock at `at` (aware) for the duration of a block (tests)."""
    global _frozen
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous
