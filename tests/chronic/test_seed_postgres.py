"""The chronic-care demo data loads on PostgreSQL and a second run adds nothing twice."""

import pytest

from chronic.models import Reading, VisitSlot
from core.extensions import db


@pytest.mark.postgres
def test_seed_on_postgres(pg_app):
    result = pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    assert result.exit_code == 0
    counts = [db.session.execute(db.select(db.func.count(m.id))).scalar() for m in (VisitSlot, Reading)]
    assert counts[0] > 100 and counts[1] > 20
    again = pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    assert again.exit_code == 0
    assert [db.session.execute(db.select(db.func.count(m.id))).scalar() for m in (VisitSlot, Reading)] == counts
