"""Each endpoint of the REST read mix (bench/rest_mix.py) alone, in-process on SQLite: SQL
statements and CPU per request through a raw WSGI call (no HTTP client, no server), beside a
bare Flask `/ping` called the same way. A developer's tool, not a bench workload (bench/run.py
runs only bench/*.py).

    .venv/bin/python bench/profile/rest_endpoints.py [requests-per-endpoint] [--db PATH]
        [--only SUBSTRING] [--trace] [--cprofile] [--dump FILE]

--db keeps the prepared database at PATH (built once, then reused: a second run starts at once).
--trace prints where each statement comes from; --cprofile profiles the selected endpoints;
--dump writes the answers (to compare two versions of the code on the same database).
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import KEYS, PASSWORD, build_sqlite, workdir  # noqa: E402
from _counting import Counting  # noqa: E402
from _scenario import ADDRESS, DOCTOR, prepare  # noqa: E402

from app import create_app  # noqa: E402
from core import accounts, sessions  # noqa: E402
from core.serving import bare_ping_app  # noqa: E402

PATIENTS = 4
COUNTED = 5  # requests per endpoint whose statements are counted


def _prepared(db: str | None) -> tuple[str, dict]:
    """The database URL and the users' tokens and ids (built once per --db path)."""
    work = workdir()
    path = Path(db) if db else work / "profile.db"
    state = path.with_suffix(".json")
    if path.exists() and state.exists():
        return f"sqlite:///{path}", json.loads(state.read_text())
    url = build_sqlite(path)
    ready = prepare(url, PATIENTS, 900)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, "UPLOAD_FOLDER": str(work), **KEYS})
    with app.app_context():
        doctor = sessions.open_api_session(accounts.get_by_username(DOCTOR)).token
        client = app.test_client()
        for patient in ready:  # a paid order each, for /api/orders
            headers = {"Authorization": f"Bearer {patient.token}", "Idempotency-Key": f"p-{patient.prescription_id}"}
            body = {"prescription_id": patient.prescription_id, "address": ADDRESS}
            answer = client.post("/api/orders", json=body, headers=headers)
            assert answer.status_code < 300, answer.get_json()
    data = {"doctor": doctor, "patients": [p.__dict__ for p in ready]}
    state.write_text(json.dumps(data))
    return url, data


def _environ(path: str, token: str | None) -> dict:
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def call(wsgi, path: str, token: str | None) -> tuple[str, bytes]:
    environ = _environ(path, token)
    environ["wsgi.input"] = io.BytesIO(b"")
    status = []
    body = b"".join(wsgi(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body


def endpoints(app, data: dict) -> list[tuple[str, str, str]]:
    """(label, path, token) for every request of the mix, as rest_mix.py builds it."""
    patient = data["patients"][0]
    token = patient["token"]
    wsgi = app.wsgi_app
    consultations = json.loads(call(wsgi, "/api/consultations", token)[1])
    cid, department = consultations[0]["id"], consultations[0]["department_id"]
    prescriptions = json.loads(call(wsgi, "/api/prescriptions", token)[1])
    doctor = data["doctor"]
    return [
        ("patient /api/me", "/api/me", token),
        ("patient /api/consultations", "/api/consultations", token),
        ("patient /api/consultations/{id}", f"/api/consultations/{cid}", token),
        ("patient /api/consultations/{id}/messages", f"/api/consultations/{cid}/messages", token),
        ("patient /api/prescriptions", "/api/prescriptions", token),
        ("patient /api/prescriptions/{id}", f"/api/prescriptions/{prescriptions[0]['id']}", token),
        ("patient /api/orders", "/api/orders", token),
        ("patient /api/notifications", "/api/notifications", token),
        ("patient /api/departments", "/api/departments", token),
        ("patient /api/doctors?on_duty", f"/api/doctors?department={department}&on_duty=true", token),
        ("doctor /api/me", "/api/me", doctor),
        ("doctor /api/consultations/queue", "/api/consultations/queue", doctor),
        ("doctor /api/consultations", "/api/consultations", doctor),
        ("doctor /api/prescriptions", "/api/prescriptions", doctor),
        ("doctor /api/notifications", "/api/notifications", doctor),
        ("doctor /api/drugs?q=aml", "/api/drugs?q=aml&limit=10", doctor),
    ]


def measure(wsgi, path: str, token: str | None, count: int) -> tuple[float, int]:
    """CPU ms per request (this process) and the body size."""
    for _ in range(3):
        status, body = call(wsgi, path, token)
        assert status.startswith("200"), (path, status, body[:300])
    started = time.process_time()
    for _ in range(count):
        call(wsgi, path, token)
    return 1000 * (time.process_time() - started) / count, len(body)


def main(count: int, db: str | None, only: str, trace: bool, profile: bool, dump: str | None = None) -> None:
    url, data = _prepared(db)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, **KEYS})
    counting = Counting(app, traced=trace)
    ping = bare_ping_app().wsgi_app
    ping_ms, _ = measure(ping, "/", None, count * 5)  # mounted at /ping in front of the app
    rows, bodies = [], {}
    profiler = cProfile.Profile() if profile else None
    for label, path, token in endpoints(app, data):
        if only and only not in label:
            continue
        ms, size = measure(app.wsgi_app, path, token, count)
        bodies[label] = json.loads(call(app.wsgi_app, path, token)[1])
        with counting:  # a few in a row: the shift-end sweep runs at most once a second among them
            for _ in range(COUNTED):
                call(app.wsgi_app, path, token)
        statements = sum(counting.statements.values()) / COUNTED
        rows.append((label, statements, ms, size))
        if trace:
            print(f"--- {label}")
            for where, n in counting.statements.most_common():
                print(f"{n / COUNTED:4.1f}  {where}")
        if profiler:
            profiler.enable()
            for _ in range(count):
                call(app.wsgi_app, path, token)
            profiler.disable()
    print(f"{'endpoint':44} {'stmts':>5} {'ms':>7} {'×ping':>6} {'bytes':>6}")
    for label, statements, ms, size in rows:
        print(f"{label:44} {statements:5.1f} {ms:7.2f} {ms / ping_ms:6.1f} {size:6d}")
    mean_statements = sum(r[1] for r in rows) / max(len(rows), 1)
    mean = sum(r[2] for r in rows) / max(len(rows), 1)
    print(f"{'mean (each endpoint once)':44} {mean_statements:5.1f} {mean:7.2f} {mean / ping_ms:6.1f}")
    print(f"bare /ping: {ping_ms:.3f} ms")
    if dump:  # the answers, to compare two versions of the code on the same database
        Path(dump).write_text(json.dumps(bodies, ensure_ascii=False, indent=1, sort_keys=True))
    if profiler:
        saved = workdir() / "rest_endpoints.prof"
        profiler.dump_stats(saved)
        print(f"profile saved in {saved}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    args = sys.argv[1:]

    def option(name: str) -> str | None:
        if name in args:
            value = args[args.index(name) + 1]
            del args[args.index(name) : args.index(name) + 2]
            return value
        return None

    db, only, dump = option("--db"), option("--only") or "", option("--dump")
    flags = {a for a in args if a.startswith("--")}
    positional = [a for a in args if not a.startswith("--")]
    main(int(positional[0]) if positional else 200, db, only, "--trace" in flags, "--cprofile" in flags, dump)
