"""Profile the REST read mix in-process (raw WSGI calls, no HTTP server, SQLite): CPU and SQL
statements per request for each path of bench/rest_mix.py's mix, beside a bare Flask `/ping`
called the same way, and a cProfile of the mix. A developer's tool, not a bench workload.

    .venv/bin/python bench/profile/rest_mix.py [passes] [--cprofile] [--traced] [--only=/api/me]

`--traced` groups the statements by the project's line that issued them (slower: the stack is
walked per statement); without it only the counts per path are kept.
"""

from __future__ import annotations

import collections
import cProfile
import io
import pstats
import re
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import KEYS, PASSWORD, build_sqlite, workdir  # noqa: E402
from _counting import Counting  # noqa: E402
from _scenario import ADDRESS, DOCTOR, prepare  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app import create_app  # noqa: E402
from core import accounts, sessions  # noqa: E402
from core.serving import bare_ping_app  # noqa: E402

PATIENT_PATHS = ["/api/me", "/api/consultations", "/api/prescriptions", "/api/orders", "/api/notifications"]
DOCTOR_PATHS = ["/api/me", "/api/consultations/queue", "/api/consultations", "/api/prescriptions"]
DOCTOR_PATHS += ["/api/notifications", "/api/drugs?q=aml&limit=10"]


def _call(wsgi, environ: dict) -> int:
    """One request through the WSGI callable; the body consumed as a server would."""
    status = []
    body = wsgi(dict(environ), lambda s, h, e=None: status.append(s))
    b"".join(body)  # consumed as a server would send it
    if hasattr(body, "close"):
        body.close()
    return int(status[0][:3])


def _environ(path: str, token: str | None) -> dict:
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    query = path.split("?", 1)[1] if "?" in path else ""
    builder = EnvironBuilder(path=path.split("?", 1)[0], query_string=query, headers=headers)
    environ = builder.get_environ()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    environ["wsgi.input"] = io.BytesIO(b"")
    return environ


def _mix(app, ready) -> list[tuple[str, dict]]:
    client = app.test_client()
    requests: list[tuple[str, dict]] = []
    for patient in ready:
        headers = {"Authorization": f"Bearer {patient.token}"}
        body = {"prescription_id": patient.prescription_id, "address": ADDRESS}
        paid = client.post("/api/orders", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert paid.status_code == 201, paid.get_json()
        consultation = client.get(f"/api/consultations/{patient.consultation_id}", headers=headers).get_json()
        paths = list(PATIENT_PATHS) + ["/api/departments"]
        paths += [
            f"/api/consultations/{patient.consultation_id}",
            f"/api/consultations/{patient.consultation_id}/messages",
        ]
        paths.append(f"/api/doctors?department={consultation['department_id']}&on_duty=true")
        paths.append(f"/api/prescriptions/{patient.prescription_id}")
        requests += [(path, _environ(path, patient.token)) for path in paths]
    with app.app_context():
        token = sessions.open_api_session(accounts.get_by_username(DOCTOR)).token
    requests += [(path, _environ(path, token)) for path in DOCTOR_PATHS]
    return requests


def _label(path: str) -> str:
    return re.sub(r"\d+", "{id}", path.split("?", 1)[0])


def main(passes: int = 30, profile: bool = False, traced: bool = False, only: str = "") -> None:
    work = workdir()
    url = build_sqlite(work / "profile.db")
    ready = prepare(url, 4, 900)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, "UPLOAD_FOLDER": str(work), **KEYS})
    requests = _mix(app, ready)
    if only:
        requests = [(path, environ) for path, environ in requests if _label(path) == only]
    counting = Counting(app, traced=traced)
    ping, ping_environ = bare_ping_app(), _environ("/", None)
    for path, environ in requests * 3:  # warm-up: first-request work, caches
        assert _call(app, environ) < 300, path
    cpu, statements = collections.Counter(), collections.Counter()
    calls = collections.Counter()
    profiler = cProfile.Profile() if profile else None
    ping_cpu, mix_cpu, mix_count = 0.0, 0.0, 0
    with counting:
        for _ in range(passes):
            started = time.process_time()
            for _ in range(len(requests)):
                _call(ping, ping_environ)
            ping_cpu += time.process_time() - started
            if profiler:
                profiler.enable()
            for path, environ in requests:
                before = sum(counting.statements.values())
                started = time.process_time()
                _call(app, environ)
                spent = time.process_time() - started
                cpu[_label(path)] += spent
                mix_cpu += spent
                mix_count += 1
                statements[_label(path)] += sum(counting.statements.values()) - before
                calls[_label(path)] += 1
            if profiler:
                profiler.disable()
    ping_ms = 1000 * ping_cpu / mix_count
    mix_ms = 1000 * mix_cpu / mix_count
    total_statements = sum(counting.statements.values())
    print(f"bare ping {ping_ms:.3f} ms; mix {mix_ms:.3f} ms per request = {mix_ms / ping_ms:.1f}x ping")
    commits = sum(counting.commits.values())
    print(f"statements per request {total_statements / mix_count:.2f}, commits {commits / mix_count:.2f}")
    for label in sorted(cpu, key=cpu.get, reverse=True):
        print(f"  {1000 * cpu[label] / calls[label]:7.3f} ms {statements[label] / calls[label]:5.1f} st  {label}")
    if traced:
        counting.print(mix_count, "request")
    if profiler:
        profiler.dump_stats(work / "rest_mix.prof")
        print(f"profile saved in {work / 'rest_mix.prof'}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), "")
    main(int(args[0]) if args else 30, "--cprofile" in sys.argv, "--traced" in sys.argv, only)
