"""Measure /api/drugs?q= type-ahead latency (in-process test client, the demo formulary).

Type-ahead feels instant under ~100 ms per keystroke; this prints p50/p95 over typical prefixes.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = [
    "a",
    "al",
    "ald",
    "aldp",
    "氨",
    "氨氯",
    "met",
    "metformin",
    "ejsg",
    "xbdp",
    "胰岛素",
    "ins",
    "阿",
    "tl",
    "statin",
]


def main(rounds: int = 20) -> None:
    from app import create_app
    from core import accounts
    from core.extensions import db
    from core.serving import settle_memory
    from hospital.seed_formulary import load_formulary

    tmp = Path(tempfile.mkdtemp()) / "bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}", "TESTING": True})
    with app.app_context():
        db.create_all()
        count = load_formulary()
        accounts.create_staff("benchdoc", "doctor", "测试医生", "Passw0rd!x")
        client = app.test_client()
        token = client.post("/api/auth/login", json={"username": "benchdoc", "password": "Passw0rd!x"}).get_json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        timings = []
        settle_memory()  # as the server does before serving: one full collection of start-up's
        # objects inside the timed searches would otherwise double this small bench's figure
        cpu_started = time.process_time()
        for _ in range(rounds):
            for q in QUERIES:
                start = time.perf_counter()
                response = client.get(f"/api/drugs?q={q}&limit=10", headers=headers)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
        cpu_ms = (time.process_time() - cpu_started) * 1000 / len(timings)
        top = client.get("/api/drugs?q=aldp", headers=headers).get_json()[0]["name_zh"]
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    print(
        f"{count} drugs, {len(timings)} searches: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
        f"max {timings[-1]:.1f} ms; 'aldp' → {top}"
    )
    row = {"workload": "drug type-ahead (in-process, no server)", "app_cpu_ms": round(cpu_ms, 3)}
    row |= {
        "ops_per_s": round(1000 / statistics.mean(timings), 1),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 1),
    }
    print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
