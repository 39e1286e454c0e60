"""A small client for Janus (the SFU of the expert room), spoken over its Admin API on loopback.

Everything the app asks of Janus goes through the Admin API (`JANUS_ADMIN_URL`, with the admin
secret): the core's stored tokens (`add_token` / `remove_token`), the sessions and handles (to
find who holds what), and the VideoRoom plugin's own requests (`message_plugin`: create, destroy,
allowed, kick, listparticipants) with the plugin's `admin_key`. Browsers never see these secrets:
they talk to Janus's public HTTP API with the token the app gave them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

import requests
from flask import current_app

log = logging.getLogger(__name__)
VIDEOROOM = "janus.plugin.videoroom"
TIMEOUT = 3.0


class JanusUnavailable(Exception):
    """Janus is not configured, not running, or refused an administrative request."""


class VideoRoomError(JanusUnavailable):
    """The VideoRoom plugin refused a request (the code says why: 426 no such room, 427 exists…)."""

    NO_SUCH_ROOM = 426
    NO_SUCH_FEED = 428
    ROOM_EXISTS = 427

    def __init__(self, code: int, reason: str):
        super().__init__(f"VideoRoom error {code}: {reason}")
        self.code = code


@dataclass(frozen=True)
class JanusSettings:
    admin_url: str
    admin_secret: str
    admin_key: str
    public_url: str


def settings() -> JanusSettings | None:
    """The configured Janus, or None when the app runs without one (the page then uses the mesh)."""
    config = current_app.config
    if not config.get("JANUS_URL") or not config.get("JANUS_ADMIN_URL"):
        return None
    return JanusSettings(
        admin_url=config["JANUS_ADMIN_URL"].rstrip("/"),
        admin_secret=config.get("JANUS_ADMIN_SECRET") or "",
        admin_key=config.get("JANUS_ADMIN_KEY") or "",
        public_url=config.get("JANUS_PUBLIC_URL") or config["JANUS_URL"],
    )


def _post(url: str, body: dict) -> dict:
    try:
        response = requests.post(url, json=body, timeout=TIMEOUT)
        answer = response.json()
    except (requests.RequestException, ValueError) as err:
        raise JanusUnavailable(f"Janus does not answer at {url}: {err}") from err
    if answer.get("janus") == "error":
        error = answer.get("error") or {}
        raise JanusUnavailable(f"Janus refused: {error.get('code')} {error.get('reason')}")
    return answer


def admin(verb: str, path: str = "", **fields) -> dict:
    """One Admin API request (`path` is "" or "/<session>" or "/<session>/<handle>")."""
    current = settings()
    if current is None:
        raise JanusUnavailable("Janus is not configured")
    body = {"janus": verb, "transaction": secrets.token_hex(6), "admin_secret": current.admin_secret, **fields}
    return _post(current.admin_url + path, body)


def videoroom(request: str, **fields) -> dict:
    """A synchronous VideoRoom request through the Admin API; the plugin's answer, or raises."""
    current = settings()
    body = {"request": request, **fields}
    if current is not None and current.admin_key and request in ("create", "list"):
        body["admin_key"] = current.admin_key
    answer = admin("message_plugin", plugin=VIDEOROOM, request=body).get("response") or {}
    if answer.get("videoroom") == "event" and answer.get("error_code"):
        raise VideoRoomError(answer["error_code"], answer.get("error", ""))
    return answer


def add_token(token: str) -> None:
    """Let this token create sessions and attach to the VideoRoom plugin (and nothing else)."""
    try:
        admin("add_token", token=token, plugins=[VIDEOROOM])
    except JanusUnavailable as err:
        if "already" not in str(err).lower() and "error adding" not in str(err).lower():
            raise


def remove_token(token: str) -> None:
    try:
        admin("remove_token", token=token)
    except JanusUnavailable as err:  # not there any more (Janus restarted): nothing to remove
        log.info("janus remove_token: %s", err)


def handles() -> list[dict]:
    """Every VideoRoom handle Janus holds: session, handle, the token it was attached with, and
    the plugin's view (room, participant id, type, streams)."""
    found = []
    for session_id in admin("list_sessions").get("sessions", []):
        try:
            handle_ids = admin("list_handles", f"/{session_id}").get("handles", [])
        except JanusUnavailable:  # the session ended meanwhile
            continue
        for handle_id in handle_ids:
            try:
                info = admin("handle_info", f"/{session_id}/{handle_id}").get("info") or {}
            except JanusUnavailable:
                continue
            if info.get("plugin") == VIDEOROOM:
                found.append({"session_id": session_id, "handle_id": handle_id, **info})
    return found


def destroy_session(session_id: int) -> None:
    try:
        admin("destroy_session", f"/{session_id}")
    except JanusUnavailable as err:
        log.info("janus destroy_session %s: %s", session_id, err)
