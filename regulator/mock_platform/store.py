"""The platform's own store: every report received, once per message id (SQLAlchemy Core, its own
engine and metadata, so none of it enters the hospital's database or migrations)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from standins.service import sqlite_pragmas

metadata = sa.MetaData()
reports = sa.Table(
    "mp_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("msgid", sa.String(64), nullable=False, unique=True),
    sa.Column("org_code", sa.String(32), nullable=False, index=True),
    sa.Column("report_type", sa.String(40), nullable=False),
    sa.Column("business_date", sa.Date, nullable=False, index=True),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("receipt_no", sa.String(32), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
)


@dataclass(frozen=True)
class Receipt:
    """The platform's answer to one message; a repeat of the message gets the same one."""

    msgid: str
    receipt_no: str
    received_at: str
    repeated: bool
    same_body: bool = True

    def as_dict(self) -> dict:
        return {
            "code": 0,
            "message": "accepted",
            "msgid": self.msgid,
            "receipt_no": self.receipt_no,
            "received_at": self.received_at,
        }


def body_digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Store:
    """Reports by message id, and the day's counts per type for reconciliation."""

    def __init__(self, url: str, timezone: str = "Asia/Shanghai"):
        self.engine = sa.create_engine(url)
        self.tz = ZoneInfo(timezone)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        metadata.create_all(self.engine)

    def business_date(self, occurred_at: str) -> date:
        """The local day the reported event happened on (its time carries an offset)."""
        moment = datetime.fromisoformat(occurred_at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.tz).date()

    def receive(self, envelope: dict) -> Receipt:
        """Store the report once: a repeated message id stores nothing and answers the first receipt."""
        existing = self.find(envelope["msgid"])
        if existing is not None:
            return self._repeat(existing, envelope)
        row = {
            "msgid": envelope["msgid"],
            "org_code": envelope["org_code"],
            "report_type": envelope["report_type"],
            "business_date": self.business_date(envelope["occurred_at"]),
            "body_sha256": body_digest(envelope),
            "body": envelope,
            "receipt_no": "R" + secrets.token_hex(8).upper(),
            "received_at": datetime.now(UTC).astimezone(self.tz).isoformat(timespec="seconds"),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(reports.insert().values(**row))
        except IntegrityError:  # the same message arrived twice at once: the first one stands
            return self._repeat(self.find(envelope["msgid"]), envelope)
        return Receipt(row["msgid"], row["receipt_no"], row["received_at"], repeated=False)

    def _repeat(self, existing, envelope: dict) -> Receipt:
        same = existing.body_sha256 == body_digest(envelope)
        return Receipt(existing.msgid, existing.receipt_no, existing.received_at, repeated=True, same_body=same)

    def find(self, msgid: str):
        with self.engine.connect() as connection:
            return connection.execute(reports.select().where(reports.c.msgid == msgid)).first()

    def counts(self, org_code: str, day: date) -> dict[str, int]:
        """How many reports of each type this organisation sent for events of that day."""
        query = (
            sa.select(reports.c.report_type, sa.func.count())
            .where(reports.c.org_code == org_code, reports.c.business_date == day)
            .group_by(reports.c.report_type)
        )
        with self.engine.connect() as connection:
            return {row[0]: row[1] for row in connection.execute(query).all()}

    def listing(self, limit: int = 200) -> list[dict]:
        """The latest reports, newest first (for inspection and the tests)."""
        query = reports.select().order_by(reports.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [
                {
                    "msgid": r.msgid,
                    "report_type": r.report_type,
                    "business_date": r.business_date.isoformat(),
                    "receipt_no": r.receipt_no,
                    "body": r.body,
                }
                for r in connection.execute(query)
            ]
