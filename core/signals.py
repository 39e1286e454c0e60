"""Signals between the account and access side and the real-time side of the app.

Services that end someone's access send a signal; the Socket.IO layer listens and removes that
user's sockets from the room (or disconnects them). This keeps services free of `socketio` and
lets either side change without importing the other.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the user id whose sessions and tokens were revoked (logout, a session ended from his
# list, logout everywhere, password change, administrator reset, deactivation). Keywords:
# `session_ids` (the ended `UserSession` ids, None when all were) and `everywhere` (bool).
# Listeners disconnect the sockets of those sessions (every socket of the user when everywhere).
user_sessions_revoked = _signals.signal("user-sessions-revoked")

# sender: the room name ("consultation:12"); keyword `user_ids`: the users who lost access to
# it (consultation taken by another doctor, handed over, closed; invitation withdrawn).
# Listeners remove those users' sockets from the room at once.
room_access_ended = _signals.signal("room-access-ended")

# sender: the kind of record ("consultation", "prescription", "booking"); keywords `record_id`
# and `status` (the status it just reached, or "booked" for a new booking). Sent by each state
# machine's move_to inside the caller's transaction, before it commits: a listener that writes
# rows (the regulator's outbox) commits or rolls back together with the change.
status_changed = _signals.signal("status-changed")
# sender: the user id whose sessions' remembered resolution is stale (a session revoked or its
# token rotated, or the user row changed). Keyword `session_ids` (None: every session of his).
# core.session_cache has already forgotten them in the sending process; the socket layer carries
# the word to every other process (over the message queue) so that they forget them too.
sessions_changed = _signals.signal("sessions-changed")

# sender: the user id whose role or activity an administrator changed. Keywords: `role` (the new
# role) and `active` (bool). Listeners drop his sockets from every room the new role may not be
# in (checking each room again), and use the new role for his sockets' next events.
user_access_changed = _signals.signal("user-access-changed")
