"""Measure settlement through the in-process mock insurer on SQLite: latency and concurrent throughput.

Each settle is 1101 + 5301 + 2207 (three messages, each with a stored msgid on both ledgers).
Prints p50/p95 of sequential settles, then the wall time of 20 threads settling 100 distinct
orders, and checks every order was charged exactly once.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LINES = [
    ("XA01", "amlodipine", "A", 2, 3_000),
    ("XB02", "metformin", "B", 1, 5_000),
    ("XC03", "vitamin", "C", 1, 3_000),
]


def _claim(order: str, person: dict):
    from insurance.claims import Claim, ClaimLine
    from insurance.gateway import get_gateway

    token = get_gateway().issue_voucher(person["certno"]).token
    lines = [ClaimLine(*line) for line in LINES]
    return Claim(med_org_ord=order, lines=lines, voucher_token=token, certno=person["certno"])


def main(sequential: int = 50, concurrent: int = 100, threads: int = 20) -> None:
    from flask_migrate import upgrade

    from app import create_app
    from core.extensions import db
    from core.resident_id import check_digit
    from insurance import settlement
    from insurance.gateway import get_gateway
    from insurance.mock_insurer.models import MiSettlement

    path = Path(tempfile.mkdtemp()) / "bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        first17 = "35010219550101123"
        person = {"certno": first17 + check_digit(first17)}
        get_gateway().enroll({"certno": person["certno"], "psn_name": "压测", "insutype": "310", "balc": "1000000.00"})
        timings = []
        for i in range(sequential):
            claim = _claim(f"BENCH-S{i}", person)
            started = time.perf_counter()
            settlement.settle(claim)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"sequential settle: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms ({sequential} settles)")
        claims = [_claim(f"BENCH-C{i}", person) for i in range(concurrent)]

    def one(claim) -> str:
        with app.app_context():
            try:
                return settlement.settle(claim).status
            finally:
                db.session.remove()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(one, claims))
    wall = time.perf_counter() - started
    with app.app_context():
        charged = db.session.execute(db.select(db.func.count(MiSettlement.id))).scalar()
    print(
        f"{concurrent} orders by {threads} threads: {wall:.2f} s ({concurrent / wall:.0f} settles/s), "
        f"{statuses.count('settled')} settled, {charged - sequential} charged"
    )
    assert statuses.count("settled") == concurrent and charged == sequential + concurrent
    row = {"workload": "insurer settle 1101+5301+2207 (in-process, 20 threads)", "ops_per_s": round(concurrent / wall)}
    row |= {"p99_ms": round(timings[-1], 1), "app_cpu_ms": None}
    print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
