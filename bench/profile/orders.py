"""Profile one paid order in-process (Flask's test client, the in-process insurer, SQLite):
SQL statements and commits per order, grouped by the code that issued them, and a cProfile of
the requests. A developer's tool, not a bench workload (bench/run.py runs only bench/*.py).

    .venv/bin/python bench/profile/orders.py [orders] [--cprofile] [--postgres] [--plain] [--http]

--http runs the mock insurer as its own process (as a real insurer is): the CPU printed is then
the hospital's alone. --plain counts nothing (no statement listener): for a sampling profiler run from outside, e.g.
`py-spy record --format raw -o orders.txt -- .venv/bin/python bench/profile/orders.py 300 --plain`.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import KEYS, PASSWORD, build_postgres, build_sqlite, workdir  # noqa: E402
from _counting import Counting  # noqa: E402
from _scenario import ADDRESS, prepare  # noqa: E402

from app import create_app  # noqa: E402
from tests.insurance.test_http_gateway import MockInsurerProcess  # noqa: E402


class _NotCounting:
    """Counting's interface, counting nothing (--plain)."""

    on = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def print(self, count: int, what: str) -> None:
        print("(statements not counted: --plain)")


def main(count: int = 30, profile: bool = False, postgres: bool = False, plain: bool = False, http: bool = False):
    work = workdir()
    insurer = MockInsurerProcess(work / "insurer.db", work / "insurer.log") if http else None
    try:
        over_http = {"INSURANCE_GATEWAY": "http", "INSURANCE_URL": insurer.url} if insurer else {}
        _profile(work, count, profile, postgres, plain, over_http)
    finally:
        if insurer:
            insurer.stop()


def _profile(work, count: int, profile: bool, postgres: bool, plain: bool, insurer: dict) -> None:
    url = (build_postgres() if postgres else None) or build_sqlite(work / "profile.db")
    ready = prepare(url, count + 5, config=insurer)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, **KEYS, **insurer})
    counting = _NotCounting() if plain else Counting(app, traced=not profile)
    client = app.test_client()
    cpu = [0.0]

    def pay(patient, counted: bool) -> None:
        headers = {"Authorization": f"Bearer {patient.token}"}
        voucher = client.post("/api/insurance/vouchers", headers=headers).get_json()["token"]
        body = {"prescription_id": patient.prescription_id, "address": ADDRESS, "voucher_token": voucher}
        counting.on = counted
        started = time.process_time()
        answer = client.post("/api/orders", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        cpu[0] += (time.process_time() - started) if counted else 0
        counting.on = False
        assert answer.status_code == 201, answer.get_json()

    for patient in ready[:5]:  # warm-up (caches, first connections)
        pay(patient, False)
    gc.collect()
    gc.freeze()  # as the server does once started (core/serving.py): the heap so far is not scanned again
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits on the insurer
    with counting:
        if profiler:
            profiler.enable()
        for patient in ready[5:]:
            pay(patient, True)
        if profiler:
            profiler.disable()
    counting.print(count, "order")
    where = "the hospital alone" if insurer else "app and in-process insurer"
    print(f"CPU per order (this process: {where}): {1000 * cpu[0] / count:.1f} ms")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = {flag: f"--{flag}" in sys.argv for flag in ("cprofile", "postgres", "plain", "http")}
    main(int(args[0]) if args else 30, flags["cprofile"], flags["postgres"], flags["plain"], flags["http"])
