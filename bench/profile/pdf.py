"""Profile stored prescription-PDF downloads in-process (Flask's test client, SQLite): SQL
statements and commits per download, and a cProfile of them. A developer's tool, not a bench
workload (bench/run.py runs only bench/*.py).

    .venv/bin/python bench/profile/pdf.py [downloads] [--cprofile]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import KEYS, PASSWORD, build_sqlite, workdir  # noqa: E402
from _counting import Counting  # noqa: E402
from _scenario import prepare  # noqa: E402

from app import create_app  # noqa: E402


def main(count: int = 200, profile: bool = False) -> None:
    work = workdir()
    url = build_sqlite(work / "profile.db")
    ready = prepare(url, 8, 700)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEMO_PASSWORD": PASSWORD, "UPLOAD_FOLDER": str(work), **KEYS})
    counting = Counting(app, traced=not profile)
    client = app.test_client()
    cpu = [0.0]

    def download(n: int) -> None:
        patient = ready[n % len(ready)]
        headers = {"Authorization": f"Bearer {patient.token}"}
        started = time.process_time()
        answer = client.get(f"/api/prescriptions/{patient.prescription_id}.pdf", headers=headers)
        cpu[0] += time.process_time() - started
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF"), answer.status_code
        answer.close()

    for n in range(len(ready)):  # the first downloads render and store
        download(n)
    cpu[0] = 0.0
    profiler = cProfile.Profile() if profile else None
    with counting:
        if profiler:
            profiler.enable()
        for n in range(count):
            download(n)
        if profiler:
            profiler.disable()
    counting.print(count, "download")
    print(f"CPU per stored download (this process): {1000 * cpu[0] / count:.2f} ms")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 200, "--cprofile" in sys.argv)
