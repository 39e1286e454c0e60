"""The app server of the chat bench, with timings of where a message's time goes (BENCH_TRACE=<file>).

Runs app.py as `python app.py` does, and records per message: the whole socket event (read to
ack), the wait for a pool connection, the statement's round trip; the event loop's lag (how late
a 10 ms timer fires: the process busy or descheduled); garbage-collection pauses; and the process's
run-queue wait from /proc/self/schedstat (time it was runnable but another process had the CPU).
Writes them as JSON to the file named by BENCH_TRACE when the bench stops the server (SIGTERM).
BENCH_APP_ROOT=<checkout> runs that checkout's app.py instead (e.g. main, for a side-by-side).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

# BENCH_APP_ROOT: another checkout's app.py (main, to compare it with the same timings)
ROOT = Path(os.environ.get("BENCH_APP_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

samples: dict[str, list[float]] = {"event": [], "pool_wait": [], "statement": [], "loop_lag": [], "gc": []}
# (seconds since the reset, what, ms) of everything slower than SLOW_MS, and of every gen-2 collection
SLOW_MS = 20.0
slow: list[tuple[float, str, float]] = []
counts = {"connects": 0, "closes": 0, "gc2": 0}
_gc_started: list[float] = []


def _note(what: str, ms: float) -> None:
    samples[what].append(ms)
    if ms >= SLOW_MS:
        slow.append((round(time.perf_counter() - _start[2], 3), what, round(ms, 1)))


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {
        "n": len(ordered),
        "p50": at(0.5),
        "p99": at(0.99),
        "max": round(ordered[-1], 2),
        "sum": round(sum(ordered), 1),
    }


def _schedstat() -> tuple[float, float]:
    """(ms on a CPU, ms waiting for one) of this process's main thread so far."""
    with open("/proc/self/schedstat") as stat:
        on_cpu, waiting, _slices = stat.read().split()
    return int(on_cpu) / 1e6, int(waiting) / 1e6


def _timed_eio_message(handle):
    def timed(self, eio_sid, data):
        started = time.perf_counter()
        try:
            return handle(self, eio_sid, data)
        finally:
            if isinstance(data, str) and data.startswith("2") and "message" in data[:20]:
                _note("event", (time.perf_counter() - started) * 1000)

    return timed


pool_class = ""


def _timed_connect(connect):
    def timed(self, *args, **kwargs):
        global pool_class
        pool_class = type(self.pool).__name__
        started = time.perf_counter()
        try:
            return connect(self, *args, **kwargs)
        finally:
            _note("pool_wait", (time.perf_counter() - started) * 1000)

    return timed


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, _cursor, _statement, _parameters, _context, _executemany):
    conn.info["traced_at"] = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, _cursor, statement, _parameters, _context, _executemany):
    started = conn.info.pop("traced_at", None)
    if started is not None and "consultation_messages" in statement and "WITH s AS" in statement:
        _note("statement", (time.perf_counter() - started) * 1000)


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[:] = [time.perf_counter()]
    elif _gc_started:
        ms = (time.perf_counter() - _gc_started[0]) * 1000
        _note("gc", ms)
        if info.get("generation") == 2:
            counts["gc2"] += 1
            slow.append((round(time.perf_counter() - _start[2], 3), "gc2", round(ms, 1)))


@event.listens_for(Pool, "connect")
def _connected(*_args):
    counts["connects"] += 1


@event.listens_for(Pool, "close")
def _closed(*_args):
    counts["closes"] += 1


def _watch_loop() -> None:
    while True:
        started = time.perf_counter()
        gevent.sleep(0.01)
        _note("loop_lag", (time.perf_counter() - started) * 1000 - 10)


def _postgres_cpu_ms() -> float:
    """CPU of the PostgreSQL server that DATABASE_URL names (the postmaster, its children alive
    now, and the ones gone), 0 for SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return 0.0
    port = url.rsplit(":", 1)[1].split("/")[0]
    ticks, postmaster, children = os.sysconf("SC_CLK_TCK"), None, []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if argv[0].endswith("postgres") and "-p" in argv and argv[argv.index("-p") + 1] == port:
            postmaster = (pid, stat)
        children.append(stat)
    if postmaster is None:
        return 0.0
    pid, stat = postmaster
    total = sum(int(x) for x in stat[11:15])
    total += sum(int(c[11]) + int(c[12]) for c in children if c[1] == pid)
    return total * 1000 / ticks


def _reset(*_args) -> None:
    """The bench's warm-up is over: count from now."""
    for values in samples.values():
        values.clear()
    slow.clear()
    counts.update(dict.fromkeys(counts, 0))
    _start[:] = [*_schedstat(), time.perf_counter(), _postgres_cpu_ms()]


def _dump(*_args) -> None:
    on_cpu, waiting = _schedstat()
    report = {name: _percentiles(values) for name, values in samples.items()}
    report["postgres_cpu_ms"] = round(_postgres_cpu_ms() - _start[3], 1)
    report["messages"] = len(samples["event"])
    report["counts"] = counts
    report["gc_objects"] = len(gc.get_objects())
    report["gc_frozen"] = gc.get_freeze_count()
    report["gc_threshold"] = gc.get_threshold()
    wait = getattr(sys.modules.get("psycopg.waiting"), "wait", None)  # None on SQLite
    report["psycopg_wait"] = wait.__name__ if wait else None
    report["pool"] = pool_class
    report["slow"] = slow
    report["schedstat_ms"] = {"on_cpu": round(on_cpu - _start[0], 1), "runqueue_wait": round(waiting - _start[1], 1)}
    Path(os.environ["BENCH_TRACE"]).write_text(json.dumps(report))
    os._exit(0)


socketio.Server._handle_eio_message = _timed_eio_message(socketio.Server._handle_eio_message)
Engine.connect = _timed_connect(Engine.connect)
gc.callbacks.append(_gc_callback)
_start = [*_schedstat(), time.perf_counter(), 0.0]
gevent.signal_handler(signal.SIGTERM, _dump)
gevent.signal_handler(signal.SIGUSR1, _reset)
gevent.spawn(_watch_loop)
os.chdir(ROOT)
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
