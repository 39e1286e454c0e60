"""The bare baseline of the chat bench: a Flask-SocketIO relay on the same gevent server as the
app, with nothing behind it (no database, no accounts). It accepts any non-empty token, joins
any "consultation:<id>" room, and relays each `message` to its room with a per-room sequence
number and an acknowledgement shaped like the app's. What the app costs beyond this is what
storing a message safely costs.

    PORT=5001 .venv/bin/python bench/bare_relay.py
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from itertools import count  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import ConnectionRefusedError, SocketIO, join_room, rooms  # noqa: E402

app = Flask(__name__)
# The same server options as the app (app.py): gevent, one socket's events in order.
socketio = SocketIO(app, async_mode="gevent", async_handlers=False, cors_allowed_origins=[])
_sequences: dict[str, count] = {}


@socketio.on("connect")
def on_connect(auth=None):
    if not (isinstance(auth, dict) and auth.get("token")):
        raise ConnectionRefusedError("unauthenticated")


@socketio.on("join")
def on_join(data):
    room = data.get("room", "") if isinstance(data, dict) else ""
    join_room(room)
    return {"ok": True, "room": room}


@socketio.on("message")
def on_message(data):
    room = f"consultation:{data.get('consultation_id')}" if isinstance(data, dict) else ""
    if room not in rooms():
        return {"ok": False, "error": "forbidden"}
    seq = next(_sequences.setdefault(room, count(1)))
    payload = {
        "consultation_id": data["consultation_id"],
        "seq": seq,
        "sender_id": 0,
        "sender_name": "",
        "kind": "text",
        "text": data.get("text", ""),
        "client_id": data.get("client_id"),
        "attachment_url": None,
        "created_at": datetime.now(UTC).isoformat(),
        "id": seq,
    }
    socketio.emit("message", payload, to=room)
    return {"ok": True, "message": payload, "duplicate": False}


@app.get("/ping")
def ping():
    return {"ok": True, "sid": request.path}


if __name__ == "__main__":
    print(f"bare relay on 127.0.0.1:{os.environ.get('PORT', '5001')}", flush=True)
    socketio.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "5001")))
