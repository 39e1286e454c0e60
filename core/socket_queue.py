"""The Socket.IO client manager: which process holds which socket, and word between processes.

One process: python-socketio's in-memory manager. Several processes (SOCKETIO_MESSAGE_QUEUE set
to Redis): its Redis manager, with two additions that the app needs:

- **Control messages** to every process: "remove these users from that room", "disconnect every
  socket of this user". A socket lives in one process, and only that process can act on it, so
  the order is published on the queue's own channel and each process acts on its own sockets.
  python-socketio dispatches only its own methods, so the order travels as a `close_room` of a
  reserved room name that no socket ever joins (a plain `close_room` of it would be a no-op).
- **Events to one room, addressed on the outside**: python-socketio's Redis manager has one
  channel, so every process receives every event, decodes the whole JSON message and encodes its
  packet, only to find that none of its sockets is in that room; and it decodes its own events
  too, which it delivered when it sent them. An emit to one room is published as a frame whose
  head names the sender and the room (`ROOM_FRAME`); a listener drops its own frames and those
  for rooms that it does not hold before any JSON of the payload is read. Anything else (and any
  frame without that head) travels as python-socketio's own JSON.
- **Outages that heal**: while Redis is away nothing crosses the queue, so relayed messages are
  lost in flight (they are stored). When the listener is subscribed again, the process tells
  each of its sockets `resync`; clients then ask for what they missed by sequence number.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import redis
import socketio

CONTROL_PREFIX = "\x00control:"
# b"\x01" + sender's host_id (32 hex) + JSON [namespace, room] + b"\n" + python-socketio's message
ROOM_FRAME = b"\x01"
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

    def _publish(self, data):
        room = data.get("room")
        if data.get("method") != "emit" or not isinstance(room, str) or data.get("callback") is not None:
            return super()._publish(data)
        head = json.dumps([data.get("namespace") or "/", room], separators=(",", ":"))
        frame = ROOM_FRAME + f"{self.host_id}{head}\n".encode() + self.json.dumps(data).encode()
        for retries_left in (1, 0):  # as python-socketio's: one retry on a fresh connection
            try:
                if not self.connected:
                    self._redis_connect()
                return self.redis.publish(self.channel, frame)
            except Exception as exc:
                self.connected = False
                if not retries_left:
                    log.error("Cannot publish to the Socket.IO queue (%s); the event is lost in flight", exc)

    def _listen(self):
        """python-socketio's messages, less our own room frames and those for rooms not held here."""
        mine = self.host_id.encode()
        for message in super()._listen():
            if not (isinstance(message, bytes) and message.startswith(ROOM_FRAME)):
                yield message
                continue
            if message[1:33] == mine:  # delivered here when it was sent
                continue
            cut = message.index(b"\n")
            namespace, room = json.loads(message[33:cut])
            if room in self.rooms.get(namespace, ()):
                yield message[cut + 1 :]

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


def manager_for(url: str | None) -> socketio.Manager:
    """The client manager for the configured message queue (None: this process only)."""
    if not url:
        return LocalManager()
    if url.startswith(("redis://", "rediss://")):
        return QueueManager(url, channel=channel_for(url))
    raise ValueError(f"Unsupported SOCKETIO_MESSAGE_QUEUE (Redis only): {url}")


def channel_for(url: str) -> str:
    """The queue's channel, named after the URL's database number. Deployments that share one
    Redis keep their keys (presence, rate limits) apart by database number, but Redis's pub/sub
    ignores the number: on one channel, each would deliver the other's events to its own sockets
    in rooms of the same name ("consultation:12" exists in both). Database 0 keeps the name it
    always had, so that processes of an older release on it still hear a newer one's."""
    number = int(redis.connection.parse_url(url).get("db") or 0)
    return "flask-socketio" if number == 0 else f"flask-socketio:db{number}"
