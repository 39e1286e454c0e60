"""Profile one paid order in-process (Flask's test client, the in-process insurer, SQLite):
SQL statements and commits per order, grouped by the code that issued them, and a cProfile of
the requests. A developer's tool, not a bench workload (bench/run.py runs only bench/*.py).

    .venv/bin/python bench/profile/orders.py [orders] [--cprofile]
"""

from __future__ import annotations

import collections
import cProfile
import pstats
import sys
import traceback
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import KEYS, PASSWORD, build_postgres, build_sqlite, workdir  # noqa: E402
from _scenario import ADDRESS, prepare  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from core.extensions import db  # noqa: E402

ROOT = str(Path(__file__).resolve().parent.parent.parent)


def _origin() -> str:
    """The innermost frame of the project's own code (not the bench, not a library)."""
    for frame in reversed(traceback.extract_stack()[:-2]):
        if frame.filename.startswith(ROOT) and "/bench/" not in frame.filename and "/.venv/" not in frame.filename:
            return f"{frame.filename.removeprefix(ROOT + '/')}:{frame.lineno} {frame.name}"
    return "?"


def main(count: int = 30, profile: bool = False, postgres: bool = False) -> None:
    work = workdir()
    url = (build_postgres() if postgres else None) or build_sqlite(work / "profile.db")
    ready = prepare(url, count + 5)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, **KEYS})
    statements: collections.Counter[str] = collections.Counter()
    commits: collections.Counter[str] = collections.Counter()
    counting = [False]
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, sql, params, context, executemany):
        if counting[0]:
            statements[f"{_origin()}  | {sql.split()[0]} {sql[:70]!r}"] += 1

    @event.listens_for(engine, "commit")
    def _commit(conn):
        if counting[0]:
            commits[_origin()] += 1

    client = app.test_client()

    def pay(patient) -> None:
        headers = {"Authorization": f"Bearer {patient.token}"}
        voucher = client.post("/api/insurance/vouchers", headers=headers).get_json()["token"]
        body = {"prescription_id": patient.prescription_id, "address": ADDRESS, "voucher_token": voucher}
        counting[0] = True
        answer = client.post("/api/orders", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        counting[0] = False
        assert answer.status_code == 201, answer.get_json()

    for patient in ready[:5]:  # warm-up (caches, first connections)
        pay(patient)
    statements.clear()
    commits.clear()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    for patient in ready[5:]:
        pay(patient)
    if profiler:
        profiler.disable()
    print(f"per order: {sum(statements.values()) / count:.1f} statements, {sum(commits.values()) / count:.1f} commits")
    for where, n in statements.most_common():
        print(f"{n / count:5.1f}  {where}")
    print("commits:")
    for where, n in commits.most_common():
        print(f"{n / count:5.1f}  {where}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 30, "--cprofile" in sys.argv, "--postgres" in sys.argv)
