"""Health for a load balancer: `/healthz` (the process answers) and `/readyz` (it can work:
the database answers, and Redis when one is configured)."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
RETRY_AFTER_SECONDS = 5


@bp.get("/healthz")
def healthz():
    """Liveness: the process is up and serving (touches nothing else)."""
    return jsonify({"status": "ok"})


def database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: the database does not answer", exc_info=True)
        db.session.rollback()
        return False


def redis_urls() -> list[str]:
    """Every Redis this process uses (the Socket.IO queue, the rate-limit store)."""
    config = current_app.config
    urls = [config.get("SOCKETIO_MESSAGE_QUEUE"), config.get("RATELIMIT_STORAGE_URI")]
    return sorted({u for u in urls if u and urlparse(u).scheme.startswith("redis")})


def redis_ok(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        log.warning("readiness: Redis %s does not answer", url)
        return False


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when the database and every configured Redis answer, else 503."""
    checks = {"database": database_ok()} | {f"redis:{urlparse(u).port}": redis_ok(u) for u in redis_urls()}
    ready = all(checks.values())
    response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
