"""`make bench`: run every bench script under bench/ and print one table.

Each script prints one JSON line per workload on stdout:
  {"workload", "baseline", "baseline_cpu_ms", "app_cpu_ms", "ratio", "ops_per_s", "p99_ms", ...}
(and "baseline_p99_ms" where the baseline ran at the same offered load: chat)
where cpu_ms is the server process's CPU time per operation (read from /proc/<pid>/stat around
rounds interleaved with the bare baseline on the same server). Other lines (setup chatter) are
kept in the log. Helpers (names starting with `_`), bare baselines (`bare_*`) and this runner are
not run themselves.

    .venv/bin/python bench/run.py [name-filter ...]
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("workload", "baseline", "base ms", "app ms", "ratio", "ops/s", "ops/s/core", "base p99", "p99 ms")


def scripts(filters: list[str]) -> list[Path]:
    found = [p for p in sorted(HERE.glob("*.py")) if not p.name.startswith(("_", "bare_")) and p.name != "run.py"]
    return [p for p in found if not filters or any(f in p.name for f in filters)]


def run(script: Path, log) -> list[dict]:
    started = time.monotonic()
    print(f"… {script.name}", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent)
    log.write(
        f"== {script.name} (exit {done.returncode}, {time.monotonic() - started:.0f} s)\n{done.stdout}{done.stderr}\n"
    )
    rows = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                rows.append(json.loads(line))
    if done.returncode != 0:
        rows.append({"workload": f"{script.name} FAILED (exit {done.returncode}; see the log)"})
    return rows


def cell(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(rows: list[dict]) -> str:
    lines = [COLUMNS]
    for row in rows:
        app_ms = row.get("app_cpu_ms")
        lines.append(
            (
                row.get("workload", "?"),
                row.get("baseline") or "—",
                cell(row.get("baseline_cpu_ms"), 3),
                cell(app_ms, 3),
                cell(row.get("ratio"), 1) + ("×" if row.get("ratio") else ""),
                cell(row.get("ops_per_s"), 0),
                cell(1000 / app_ms, 0) if app_ms else "—",
                cell(row.get("baseline_p99_ms"), 1),
                cell(row.get("p99_ms"), 1),
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(COLUMNS))]
    out = []
    for n, line in enumerate(lines):
        out.append(
            "  ".join(
                str(v).ljust(w) if i == 0 else str(v).rjust(w)
                for i, (v, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def stalls(rows: list[dict]) -> str:
    """Under the table: what the machine did during the runs that report a latency (chat)."""
    lines = [
        f"  {row['workload']}: worst client stall {cell(row.get('baseline_client_stall_max_ms'), 0)} ms (bare) / "
        f"{cell(row.get('client_stall_max_ms'), 0)} ms (app); CPU stolen by the host "
        f"{cell(row.get('baseline_steal_ms'), 0)} / {cell(row.get('steal_ms'), 0)} ms"
        for row in rows
        if "client_stall_max_ms" in row
    ]
    return (
        "\nThe machine during the latency runs (a stall delays every message in flight, whichever server):\n"
        + ("\n".join(lines))
        if lines
        else ""
    )


def main(filters: list[str]) -> None:
    log_path = HERE.parent / "instance" / "bench.log"
    log_path.parent.mkdir(exist_ok=True)
    rows = []
    with log_path.open("w") as log:
        for script in scripts(filters):
            rows += run(script, log)
    print(table(rows))
    print(
        "\nms = server CPU per operation (user + system, /proc); ratio = app ÷ baseline on the same server;"
        "\nops/s/core = 1000 ÷ app ms (what one fully busy core would serve);"
        "\nbase p99 = the bare baseline's p99 latency under the same offered load (where a workload offers"
        "\none: a latency the bare server cannot keep on this machine, the app cannot either)."
        f"\nFull output: {log_path}"
    )
    if any("client_stall_max_ms" in row for row in rows):
        print(stalls(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
