"""The Socket.IO client manager: which process holds which socket, and word between processes.

One process: python-socketio's in-memory manager. Several processes (SOCKETIO_MESSAGE_QUEUE set
to Redis): its Redis manager, with two additions that the app needs:

- **Control messages** to every process: "remove these users from that room", "disconnect every
  socket of this user". A socket lives in one process, and only that process can act on it, so
  the order is published on the queue's own channel and each process acts on its own sockets.
  python-socketio dispatches only its own methods, so the order travels as a `close_room` of a
  reserved room name that no socket ever joins (a plain `close_room` of it would be a no-op).
- **Outages that heal**: while Redis is away nothing crosses the queue, so relayed messages are
  lost in flight (they are stored). When the listener is subscribed again, the process tells
  each of its sockets `resync`; clients then ask for what they missed by sequence number.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import socketio

CONTROL_PREFIX = "\x00control:"
RESYNC_EVENT = "resync"
log = logging.getLogger(__name__)

# name -> handler(payload); run in every process for each control message (its own included).
_control_handlers: dict[str, Callable[[dict], None]] = {}


def on_control(name: str, handler: Callable[[dict], None]) -> None:
    _control_handlers[name] = handler


def _run_control(room: str) -> bool:
    """Act on a control message; False when `room` is an ordinary room name."""
    if not room or not room.startswith(CONTROL_PREFIX):
        return False
    try:
        name, payload = json.loads(room[len(CONTROL_PREFIX) :])
        handler = _control_handlers.get(name)
        if handler is not None:
            handler(payload)
    except Exception:  # a bad control message must not stop the listener
        log.exception("control message failed: %r", room[:200])
    return True


def send_control(server: socketio.Server, name: str, payload: dict) -> None:
    """Run `name`'s handler in every process (this one first, at once)."""
    room = CONTROL_PREFIX + json.dumps([name, payload], separators=(",", ":"))
    manager = server.manager
    _run_control(room)
    if isinstance(manager, socketio.PubSubManager):
        manager._publish({"method": "close_room", "room": room, "namespace": "/", "host_id": manager.host_id})


class LocalManager(socketio.Manager):
    """One process: control messages stay here."""


class QueueManager(socketio.RedisManager):
    """Several processes over Redis: control messages, and `resync` after an outage."""

    RETRY_MAX_SECONDS = 2.0  # a returning queue is noticed within about this long

    def _handle_close_room(self, message):
        if not _run_control(message.get("room", "")):
            super()._handle_close_room(message)

    def _redis_listen_with_retries(self):
        delay, lost = 0.2, False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if lost:
                    self._queue_returned()
                delay, lost = 0.2, False
                self._watch_reconnects(self.pubsub)
                yield from self.pubsub.listen()
            except Exception as exc:  # redis is away: retry soon, and remember to tell the clients
                if not lost:
                    log.error("Socket.IO message queue lost (%s); clients will be told to resync", exc)
                lost = True
                time.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX_SECONDS)

    def _watch_reconnects(self, pubsub) -> None:
        """redis-py may reconnect a subscription by itself (and subscribe again) without the
        listener ever seeing an error; a reconnect is still an outage to the clients."""
        connection = getattr(pubsub, "connection", None)
        register = getattr(connection, "register_connect_callback", None)
        if register is not None:
            register(self._reconnected)

    def _reconnected(self, _connection) -> None:
        self._queue_returned()

    def _queue_returned(self) -> None:
        """Tell every socket of this process that it may have missed messages."""
        log.warning("Socket.IO message queue is back; asking clients to resync")
        self.server.emit(RESYNC_EVENT, {"reason": "queue_restored"}, namespace="/", ignore_queue=True)


def manager_for(url: str | None, channel: str = "flask-socketio") -> socketio.Manager:
    """The client manager for the configured message queue (None: this process only)."""
    if not url:
        return LocalManager()
    if url.startswith(("redis://", "rediss://")):
        return QueueManager(url, channel=channel)
    raise ValueError(f"Unsupported SOCKETIO_MESSAGE_QUEUE (Redis only): {url}")
