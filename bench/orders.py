"""Orders: patients pay for approved prescriptions with the medical-insurance e-voucher
(POST /api/orders with a fresh voucher and an Idempotency-Key: stock reserved, 1101 + 5301 + 2207
through the in-process mock insurer, order paid), several at once, on SQLite and on PostgreSQL
(when TEST_POSTGRES_URL is set, e.g. under scripts/with-services.sh). Rounds of orders alternate
with rounds of the bare /ping on the same server; prints one JSON line per database. Then the same
with the mock insurer as its own process over HTTP (as a real insurer is): the hospital's own CPU
per order, without the insurer's.

Checks afterwards that every order was paid exactly once (one paid order per prescription, one
settlement per order on the insurer's ledger).

    .venv/bin/python bench/orders.py [orders-per-round] [rounds] [connections]
"""

from __future__ import annotations

import sys
import uuid

import requests
from _common import Load as LoadTotals
from _common import (
    build_postgres,
    build_sqlite,
    drive,
    measured,
    raw_get,
    raw_post,
    report,
    start_server,
    workdir,
)
from _scenario import ADDRESS, prepare

from tests.insurance.test_http_gateway import MockInsurerProcess


def order_requests(base: str, ready) -> list[bytes]:
    """For each patient: show the e-voucher (the insurer's app, not timed), then the order to time."""
    raws = []
    for patient in ready:
        headers = {"Authorization": f"Bearer {patient.token}"}
        voucher = requests.post(f"{base}/api/insurance/vouchers", headers=headers, timeout=30)
        voucher.raise_for_status()
        body = {
            "prescription_id": patient.prescription_id,
            "address": ADDRESS,
            "voucher_token": voucher.json()["token"],
        }
        raws.append(raw_post("/api/orders", body, patient.token, {"Idempotency-Key": uuid.uuid4().hex}))
    return raws


def check_paid_once(base: str, ready) -> None:
    for patient in ready[:: max(1, len(ready) // 20)]:  # a sample: each patient's own list
        headers = {"Authorization": f"Bearer {patient.token}"}
        orders = requests.get(f"{base}/api/orders", headers=headers, timeout=30).json()
        paid = [o for o in orders if o["prescription_id"] == patient.prescription_id and o["status"] == "paid"]
        assert len(paid) == 1, orders


def run(
    database_url: str, label: str, per_round: int, rounds: int, connections: int, work, insurer: dict | None = None
) -> dict:
    ready = prepare(database_url, per_round * rounds, config=insurer)
    server = start_server(database_url, work, env=insurer, name=label)
    try:
        pid, port = server.process.pid, server.port
        ping = [[raw_get("/ping")] for _ in range(connections)]
        baseline, app = LoadTotals(), LoadTotals()
        for n in range(rounds):
            batch = order_requests(server.url, ready[n * per_round : (n + 1) * per_round])
            split = [batch[i::connections] for i in range(connections)]
            for total, work_of in (
                (baseline, lambda: drive(port, ping, 1.0)),
                (app, lambda: drive(port, split, 0, once=True)),  # noqa: B023 (called at once)
            ):
                load = measured(pid, work_of)
                total.ops, total.errors, total.seconds = (
                    total.ops + load.ops,
                    total.errors + load.errors,
                    total.seconds + load.seconds,
                )
                total.cpu += load.cpu
                total.latencies += load.latencies
        check_paid_once(server.url, ready)
        where = "insurer over HTTP" if insurer else "in-process insurer"
        return report(f"paid orders, e-voucher, {where} ({label})", baseline, app, "bare /ping")
    finally:
        server.stop()


def main(per_round: int = 60, rounds: int = 3, connections: int = 8) -> None:
    work = workdir()
    run(build_sqlite(work / "orders.db"), "SQLite", per_round, rounds, connections, work)
    postgres = build_postgres()
    if postgres:
        run(postgres, "PostgreSQL", per_round, rounds, connections, work)
    else:
        print("# PostgreSQL: TEST_POSTGRES_URL not set (run under scripts/with-services.sh)", flush=True)
    # The insurer as the service of its own it is in production: the hospital's CPU alone.
    insurer = MockInsurerProcess(work / "insurer.db", work / "insurer.log")
    try:
        over_http = {"INSURANCE_GATEWAY": "http", "INSURANCE_URL": insurer.url}
        run(build_sqlite(work / "orders-http.db"), "SQLite", per_round, rounds, connections, work, over_http)
        if postgres:
            run(build_postgres(), "PostgreSQL", per_round, rounds, connections, work, over_http)
    finally:
        insurer.stop()


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
