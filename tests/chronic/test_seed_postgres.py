"""The chronic-care demo data loads on PostgreSQL and a second run adds nothing twice."""

import pytest

from chronic.models import Reading, VisitSlot
from core.extensions import db


@pytest.mark.postgres
def test_seed_on_postgres(pg_app):
    result = pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    assert result.exit_code == 0
    assert db.session.execute(db.select(db.func.count(VisitSlot.id))).scalar() > 100
    assert db.session.execute(db.select(db.func.count(Reading.id))).scalar() > 20
    again = pg_app.test_cli_runner().invoke(args=["seed-demo"], catch_exceptions=False)
    assert again.exit_code == 0
