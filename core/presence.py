"""Who is connected to which Socket.IO room, by socket id.

One server process keeps it in memory. Several processes (SOCKETIO_MESSAGE_QUEUE set to Redis)
share it in Redis, one hash per room, so that a peer connected to another process is seen and
can be signalled (a socket id reaches its process through the message queue).
"""

from __future__ import annotations

import json

import redis
from flask import current_app

_ROOM_KEY = "presence:{}"


class Presence:
    def __init__(self) -> None:
        self._memory: dict[str, dict[str, dict]] = {}
        self._clients: dict[str, object] = {}

    def _redis(self):
        url = current_app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
        if not url.startswith(("redis://", "rediss://")):
            return None
        if url not in self._clients:
            self._clients[url] = redis.Redis.from_url(url, decode_responses=True)
        return self._clients[url]

    def add(self, room: str, sid: str, user) -> None:
        member = {"sid": sid, "user_id": user.id, "name": user.name}
        shared = self._redis()
        if shared is None:
            self._memory.setdefault(room, {})[sid] = member
        else:
            shared.hset(_ROOM_KEY.format(room), sid, json.dumps(member, ensure_ascii=False))

    def remove(self, room: str, sid: str) -> dict | None:
        shared = self._redis()
        if shared is None:
            return self._memory.get(room, {}).pop(sid, None)
        key = _ROOM_KEY.format(room)
        found = shared.hget(key, sid)
        return json.loads(found) if found and shared.hdel(key, sid) else None

    def members(self, room: str) -> list[dict]:
        shared = self._redis()
        if shared is None:
            return list(self._memory.get(room, {}).values())
        return [json.loads(value) for value in shared.hvals(_ROOM_KEY.format(room))]

    def user_ids(self, room: str) -> list[int]:
        return sorted({m["user_id"] for m in self.members(room)})

    def sids_of(self, room: str, user_id: int) -> list[str]:
        return [m["sid"] for m in self.members(room) if m["user_id"] == user_id]

    def has_user(self, room: str, user_id: int) -> bool:
        return any(m["user_id"] == user_id for m in self.members(room))


presence = Presence()
