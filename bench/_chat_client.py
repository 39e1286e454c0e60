"""A lean Socket.IO load generator for the chat benches (gevent + websocket-client).

python-socketio's client costs more CPU per message than the server we measure, and on a
2-core machine the load generator competes with it; so this speaks the wire protocol itself
(Engine.IO 4 over a WebSocket: "0" open, "2"/"3" ping/pong, "4" + a Socket.IO packet: "0" connect,
"2" event, "3" ack), one greenlet per socket. Used by bench/chat.py for both the bare relay and
the app, so both see exactly the same clients.

It also measures the server: CPU time of a process from /proc/<pid>/stat (user + system), which
holds up when the machine is busy, unlike wall-clock throughput.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import time
from collections.abc import Callable
from itertools import count

import gevent
import websocket
from gevent.event import AsyncResult

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, in milliseconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


def steal_ms() -> float:
    """CPU time the hypervisor gave to other guests while this machine's processes were ready to
    run (the `steal` column of /proc/stat, summed over the CPUs), in milliseconds so far."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()
    return int(fields[8]) * 1000 / TICKS if len(fields) > 8 else 0.0


class StallWatch:
    """How late this (client) process's own event loop wakes from a 5 ms sleep: a stall of the
    machine (another guest's turn, the host's work) delays every message in flight by as much,
    whichever server is measured, and sets a short run's p99 by itself."""

    TICK = 0.005

    def __init__(self):
        self.worst_ms = 0.0
        self.over_50ms = 0  # wake-ups more than 50 ms late
        self._greenlet = gevent.spawn(self._watch)

    def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            gevent.sleep(self.TICK)
            late = (time.perf_counter() - before - self.TICK) * 1000
            self.worst_ms = max(self.worst_ms, late)
            self.over_50ms += late > 50

    def stop(self) -> dict:
        self._greenlet.kill()
        return {"client_stall_max_ms": round(self.worst_ms, 1), "client_stalls_over_50ms": self.over_50ms}


class Socket:
    """One Socket.IO client connection; `on_event(name, data)` is called for server events."""

    def __init__(self, base_url: str, token: str, on_event: Callable[[str, dict], None]):
        url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(url, timeout=30, enable_multithread=True)
        self.ws.settimeout(None)
        opened = self.ws.recv()
        if not opened.startswith("0"):
            raise RuntimeError(f"unexpected open packet {opened!r}")
        self.on_event, self.acks, self.ids = on_event, {}, count(1)
        self.connected = AsyncResult()
        self.closed = False
        self.close_reason = ""  # why the reader stopped, if the socket failed rather than closed
        self.ws.send("40" + json.dumps({"token": token}))
        self.reader = gevent.spawn(self._read)
        self.connected.get(timeout=30)

    def _read(self) -> None:
        """Handle frames until the server or the bench closes the socket; a closed socket is the
        normal end of a run, so it only marks the client closed (the bench counts what arrived)."""
        try:
            while frame := self.ws.recv():
                self._handle(frame)
        except (websocket.WebSocketException, OSError) as closed:
            self.close_reason = repr(closed)
        finally:
            self.closed = True

    def _handle(self, frame: str) -> None:
        if frame == "2":  # ping
            self.ws.send("3")
        elif frame.startswith("42"):
            event, *args = json.loads(frame[2:])
            self.on_event(event, args[0] if args else None)
        elif frame.startswith("43"):
            body = frame[2:]
            digits = len(body) - len(body.lstrip("0123456789"))
            waiter = self.acks.pop(int(body[:digits]), None)
            if waiter is not None:
                args = json.loads(body[digits:])
                waiter.set(args[0] if args else None)
        elif frame.startswith("40"):
            self.connected.set(True)
        elif frame.startswith("44") or frame.startswith("41"):
            self.connected.set(False)
            self.closed = True

    def call(self, event: str, data: dict) -> AsyncResult:
        """Send an event that wants an acknowledgement; the result is the ack's first argument."""
        ack_id = next(self.ids)
        waiter = AsyncResult()
        self.acks[ack_id] = waiter
        self.ws.send(f"42{ack_id}" + json.dumps([event, data], ensure_ascii=False))
        return waiter

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.send("1")  # Engine.IO close; no WebSocket closing handshake to wait for
            self.ws.shutdown()
        self.reader.kill(block=False)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class ChatLoad:
    """Pairs of sockets (a patient's and a doctor's) in one room each; messages go both ways.

    `rate` messages/s in total are sent open-loop, spread over the rooms; a message counts as done
    when the other socket of the room received it (stored, then relayed). `rate=None` sends as
    fast as the server acknowledges (each socket keeps one message in flight): its capacity.
    """

    def __init__(self, base_url: str, rooms: list[tuple[int, str, str]]):
        """rooms: (consultation id, patient token, doctor token)."""
        self.base_url, self.rooms = base_url, rooms
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.errors: list[dict] = []
        self.pairs: list[tuple[int, Socket, Socket]] = []

    def _on_event(self, event: str, data) -> None:
        if event != "message" or not isinstance(data, dict):
            return
        started = self.sent.pop(data.get("client_id") or "", None)
        if started is not None:
            self.latencies.append((time.perf_counter() - started) * 1000)

    def connect(self) -> None:
        def open_room(room):
            cid, patient_token, doctor_token = room
            patient = Socket(self.base_url, patient_token, self._on_event)
            doctor = Socket(self.base_url, doctor_token, self._on_event)
            for sock in (patient, doctor):
                answer = sock.call("join", {"room": f"consultation:{cid}"}).get(timeout=60)
                if not answer or not answer.get("ok"):
                    raise RuntimeError(f"join refused: {answer}")
            return cid, patient, doctor

        jobs = [gevent.spawn(open_room, room) for room in self.rooms]
        gevent.joinall(jobs, raise_error=True)
        self.pairs = [job.value for job in jobs]

    def _send(self, cid: int, sock: Socket, key: str, text: str) -> AsyncResult:
        """Send one message; a socket that the server or a proxy closed answers an error instead
        (a busy machine may miss a ping; the run goes on with the other sockets)."""
        try:
            if sock.closed:
                raise ConnectionError(sock.close_reason or "closed")
            self.sent[key] = time.perf_counter()
            return sock.call("message", {"consultation_id": cid, "text": text, "client_id": key})
        except (websocket.WebSocketException, OSError) as failed:
            self.sent.pop(key, None)
            refused = AsyncResult()
            refused.set({"ok": False, "error": f"send failed: {failed!r}"})
            return refused

    def run(self, seconds: float, rate: float | None, tag: str) -> dict:
        """Send for `seconds`; returns done count, elapsed and latency percentiles."""
        self.latencies.clear()
        self.sent.clear()
        # The load generator's own pauses must not count as the server's latency: this process
        # holds the app's modules and models (bench/chat.py builds the database with them), and a
        # full collection walked them all for 150-250 ms, once or twice a run, delaying every
        # message in flight (it set the p99 of bare relay and app alike). Frozen, a full
        # collection walks only what the run itself made.
        gc.collect()
        gc.freeze()
        sockets = [(cid, s) for cid, patient, doctor in self.pairs for s in (patient, doctor)]
        started = time.perf_counter()
        deadline = started + seconds
        stalls, stolen = StallWatch(), steal_ms()
        try:
            self._offer(sockets, started, deadline, rate, tag)
        finally:
            watched = stalls.stop()  # also when a run fails: the watch must not outlive it
        elapsed = time.perf_counter() - started
        done = len(self.latencies)
        return {
            "done": done,
            "elapsed": elapsed,
            "ops_per_s": done / seconds,
            "p50_ms": percentile(self.latencies, 0.5),
            "p99_ms": percentile(self.latencies, 0.99),
            "lost": len(self.sent),
            "steal_ms": round(steal_ms() - stolen, 1),
            **watched,
        }

    def _offer(self, sockets, started: float, deadline: float, rate: float | None, tag: str) -> None:
        """Send at `rate` (or as fast as acknowledged) until `deadline`, then wait for the last relays."""
        sent = 0

        def check(ack: AsyncResult) -> None:
            try:
                value = ack.get(timeout=30)
            except gevent.Timeout:
                value = {"error": "no ack within 30 s"}
            if not value or not value.get("ok"):
                self.errors.append(value or {"error": "no ack"})

        if rate is None:  # capacity: every socket keeps one message in flight

            def talk(n, cid, sock):
                i = 0
                while time.perf_counter() < deadline and not sock.closed:
                    check(self._send(cid, sock, f"{tag}-{n}-{i}", f"血压 13{i % 10}/8{i % 10}"))
                    i += 1

            gevent.joinall([gevent.spawn(talk, n, cid, s) for n, (cid, s) in enumerate(sockets)])
        else:
            interval = 1.0 / rate
            pending = []
            while True:
                now = time.perf_counter()
                if now >= deadline:
                    break
                due = int((now - started) / interval) + 1
                while sent < due:
                    cid, sock = sockets[sent % len(sockets)]
                    ack = self._send(cid, sock, f"{tag}-{sent}", f"血压 13{sent % 10}/8{sent % 10}")
                    pending.append(gevent.spawn(check, ack))
                    sent += 1
                gevent.sleep(min(interval, 0.005))
            gevent.joinall(pending, timeout=30)
        wait_until = time.perf_counter() + 10
        while self.sent and time.perf_counter() < wait_until:  # the last relays
            gevent.sleep(0.01)

    def close(self) -> None:
        for _cid, patient, doctor in self.pairs:
            patient.close()
            doctor.close()
