"""Prescription PDFs: the first download of each approved prescription renders the paper
(reportlab + QR); every later download sends the stored bytes. Rounds of stored downloads alternate
with rounds of the bare /ping on the same server; prints one JSON line for the first renders and
one for the stored downloads.

    .venv/bin/python bench/pdf_downloads.py [seconds-per-round] [rounds] [connections]
"""

from __future__ import annotations

import sys

from _common import build_sqlite, drive, interleave, measured, raw_get, report, start_server, workdir
from _scenario import prepare

PRESCRIPTIONS = 8


def main(seconds: float = 3.0, rounds: int = 4, connections: int = 8) -> None:
    work = workdir()
    database = build_sqlite(work / "pdf.db")
    ready = prepare(database, PRESCRIPTIONS, 700)
    server = start_server(database, work)
    try:
        pid, port = server.process.pid, server.port
        downloads = [raw_get(f"/api/prescriptions/{p.prescription_id}.pdf", p.token) for p in ready]
        ping = [[raw_get("/ping")] for _ in range(connections)]
        first_ping = measured(pid, lambda: drive(port, ping, 1.0))
        first = measured(pid, lambda: drive(port, [[raw] for raw in downloads], 0, once=True))
        report("prescription PDF, first download (renders)", first_ping, first, "bare /ping")
        per_connection = [downloads[n % len(downloads) :] + downloads[: n % len(downloads)] for n in range(connections)]
        baseline, app = interleave(
            rounds,
            lambda: measured(pid, lambda: drive(port, ping, seconds)),
            lambda: measured(pid, lambda: drive(port, per_connection, seconds)),
        )
        report("prescription PDF, later downloads (stored)", baseline, app, "bare /ping")
    finally:
        server.stop()


if __name__ == "__main__":
    main(*(float(arg) for arg in sys.argv[1:2]), *(int(arg) for arg in sys.argv[2:4]))
