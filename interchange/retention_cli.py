"""`flask retention`: purge what is past its legal retention period (see docs/retention.md)."""

from __future__ import annotations

from flask.cli import AppGroup

cli = AppGroup("retention", help="Purge records past their legal retention period.")
