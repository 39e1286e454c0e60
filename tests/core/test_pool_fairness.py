"""The connection pool serves its waiters in the order they came (core/extensions.py), keeps its
PostgreSQL connections open between bursts (core/config.py: 40 kept, no overflow opened and
closed per burst), and the server keeps start-up's objects out of the
garbage collector's full passes (core/serving.py).

Under gevent, SQLAlchemy's QueuePool let a newcomer take a connection that had just come back
before the waiter that was woken for it ran; that waiter went to the end of the line again. The
chat bench on PostgreSQL saw pool waits of up to 10 s while no statement took a second."""

from __future__ import annotations

import gc
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core import serving
from core.extensions import FairGate, FairQueuePool, db


def _wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _queue_up(gate: FairGate, names: list[str], served: list[str]) -> list[threading.Thread]:
    """Start one waiter per name, each only once the previous one waits."""
    threads = []
    for n, name in enumerate(names, start=1):

        def wait(name=name):
            assert gate.acquire(timeout=5)
            served.append(name)

        thread = threading.Thread(target=wait)
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: len(gate._waiters) == n)
    return threads


def test_a_slot_given_back_goes_to_the_longest_waiter_not_to_a_newcomer():
    gate, served = FairGate(1), []
    assert gate.acquire(timeout=0)
    threads = _queue_up(gate, ["first", "second", "third"], served)
    gate.release()  # handed to "first": a newcomer that asks now finds no free slot
    assert gate.acquire(timeout=0) is False
    _wait_until(lambda: served == ["first"])
    gate.release()  # one slot at a time: two given back at once wake two threads, in any order
    _wait_until(lambda: served == ["first", "second"])
    gate.release()
    for thread in threads:
        thread.join(timeout=5)
    assert served == ["first", "second", "third"]
    gate.release()
    assert gate.acquire(timeout=0)  # every slot came back


def test_a_waiter_that_times_out_leaves_the_line():
    gate = FairGate(1)
    assert gate.acquire(timeout=0)
    assert gate.acquire(timeout=0.05) is False
    assert not gate._waiters
    gate.release()
    assert gate.acquire(timeout=0)


def test_the_pool_hands_connections_out_in_order_and_times_out_as_queuepool(tmp_path):
    engine = sa.create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", poolclass=FairQueuePool, pool_size=1, max_overflow=0, pool_timeout=0.2
    )
    served = []
    held = engine.connect()

    def use(name):
        with engine.connect() as connection:
            served.append((name, connection.execute(sa.text("SELECT 1")).scalar()))

    threads = []
    for n, name in enumerate(["a", "b", "c"], start=1):
        threads.append(threading.Thread(target=use, args=(name,)))
        threads[-1].start()
        _wait_until(lambda n=n: len(engine.pool._gate._waiters) == n)
    held.close()
    for thread in threads:
        thread.join(timeout=5)
    assert served == [("a", 1), ("b", 1), ("c", 1)]
    with engine.connect(), pytest.raises(PoolTimeout):
        engine.connect()
    with engine.connect() as connection:  # the slot of the timed-out checkout was not lost
        assert connection.execute(sa.text("SELECT 2")).scalar() == 2
    engine.dispose()


def test_postgres_engine_uses_the_fair_pool(pg_app):
    assert db._engine_options["poolclass"] is FairQueuePool
    with pg_app.app_context():
        assert isinstance(db.engine.pool, FairQueuePool)
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
        db.session.rollback()


def test_serving_freezes_what_start_up_built():
    try:
        serving.settle_memory()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
