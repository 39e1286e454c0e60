"""The same schema and rules on PostgreSQL: migrations build it, uniqueness holds under races."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from core import accounts
from core.errors import Conflict
from core.extensions import db
from core.models import User
from tests.conftest import GOOD_PASSWORD, valid_id

pytestmark = pytest.mark.postgres


def test_migrations_build_the_schema_on_postgres(pg_app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []


def test_concurrent_registrations_of_one_person_make_one_account(pg_app):
    number = valid_id("19600101", "555")

    def register(index: int) -> str:
        with pg_app.app_context():
            try:
                accounts.register_patient("王五", number, f"1370000{index:04d}", GOOD_PASSWORD)
                return "created"
            except Conflict:
                return "conflict"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(register, range(10)))
    assert results.count("created") == 1 and results.count("conflict") == 9
    assert db.session.execute(db.select(db.func.count(User.id))).scalar() == 1
