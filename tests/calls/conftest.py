"""Call tests' fixtures."""

import sqlite3

import pytest


@pytest.fixture(scope="session")
def demo_template_db(demo_template_db):
    """The shared demo template, with its WAL checkpointed into the main file before it is copied.

    The root fixture copies only the main file; rows still in the -wal file (the last seeders')
    would be lost whenever some connection kept the WAL from being checkpointed at close.
    """
    connection = sqlite3.connect(demo_template_db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return demo_template_db
