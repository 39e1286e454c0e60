"""Configuration: defaults for the embedded set-up, overridden by environment variables."""

import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def _served_at(host: str, port: int) -> str:
    """The address this server answers on; a wildcard host (all interfaces) reads as loopback,
    where it answers too. Behind a proxy or on a LAN, set PUBLIC_BASE_URL to the outside name."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _origin(url: str) -> str:
    """scheme://host:port of a URL ("" for none), for the Content-Security-Policy."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class Config:
    """Defaults for `make run`: SQLite in instance/, in-process insurer, no Redis."""

    SECRET_KEY = _env("SECRET_KEY", "dev-only-secret-change-me")
    # Key for field encryption (resident ID numbers, private signing keys) and keyed hashes.
    # Kept apart from SECRET_KEY so that rotating sessions does not lose patients' data.
    DATA_KEY = _env("DATA_KEY", "dev-only-data-key-change-me")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'hospital.db'}")
    # PostgreSQL: a pool that holds what a busy process uses at once (a gevent process serves
    # hundreds of sockets side by side). With the default 5 (+10 overflow) every connection past
    # the fifth is opened and closed again per use: a new PostgreSQL backend per chat message under
    # load (measured: ~8 % of a message's CPU, more waiting). PgBouncer in front at scale.
    SQLALCHEMY_ENGINE_OPTIONS: dict = (
        {"pool_size": int(_env("DB_POOL_SIZE", "40")), "max_overflow": int(_env("DB_MAX_OVERFLOW", "0"))}
        if SQLALCHEMY_DATABASE_URI.startswith("postgresql")
        else {}
    )
    SOCKETIO_MESSAGE_QUEUE = _env("SOCKETIO_MESSAGE_QUEUE")
    SOCKETIO_ASYNC_MODE = _env("SOCKETIO_ASYNC_MODE")
    # Periodic tasks (core.tasks) run in the server process only when this is on: a cluster turns
    # it on in exactly one process (scripts/run-cluster.sh).
    RUN_TASKS = _env("RUN_TASKS", "1") == "1"
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For; 0 when none.
    PROXY_COUNT = int(_env("PROXY_COUNT", "0"))
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "10 per minute")
    # Redis down: count in this process's memory (and log it) rather than refuse every login;
    # short timeouts so that a dead Redis costs a login one second, not a hang.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Flask-Limiter switches to memory on the first failing request only: a second request already
    # talking to the dying Redis would raise (a 500). Let that one through uncounted, and log it.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    TIMEZONE = _env("TIMEZONE", "Asia/Shanghai")
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    DEMO_PASSWORD = _env("DEMO_PASSWORD", "Demo@2026")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies need HTTPS; loopback development is plain HTTP, so production sets it.
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "0") == "1"
    # A bearer token lives this long; its refresh token (used once, then replaced) longer. A
    # browser session slides: it ends after BROWSER_SESSION_DAYS without use.
    TOKEN_LIFETIME_MINUTES = int(_env("TOKEN_LIFETIME_MINUTES", str(int(_env("TOKEN_LIFETIME_HOURS", "12")) * 60)))
    REFRESH_LIFETIME_DAYS = int(_env("REFRESH_LIFETIME_DAYS", "30"))
    BROWSER_SESSION_DAYS = int(_env("BROWSER_SESSION_DAYS", "30"))
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    UPLOAD_FOLDER = _env("UPLOAD_FOLDER", str(ROOT / "instance" / "uploads"))
    # Behind nginx: its internal location serving UPLOAD_FOLDER (e.g. "/_stored/"); stored papers
    # are then sent by nginx (X-Accel-Redirect) once the app has checked access. "" = the app sends.
    STORED_FILES_ACCEL = _env("STORED_FILES_ACCEL", "")
    # werkzeug's scrypt at its own cost (N=2^15, r=8, p=1: ~60 ms and 32 MB a hash here).
    PASSWORD_HASH_METHOD = _env("PASSWORD_HASH_METHOD", "scrypt")
    WTF_CSRF_TIME_LIMIT = None  # no time limit that interrupts a person mid-task
    WTF_CSRF_CHECK_DEFAULT = False  # core.auth.check_form_csrf checks forms (reads pass first)
    # Shift times (local time) and the ICE servers for WebRTC calls.
    SHIFT_TIMES = {"morning": ("08:00", "12:00"), "evening": ("18:00", "22:00")}
    ICE_SERVERS = _env("ICE_SERVERS", "[]")
    LOOPBACK_ICE_ONLY = _env("LOOPBACK_ICE_ONLY", "0") == "1"
    FAILPOINTS = _env("FAILPOINTS", "")  # crash tests only: see core/failpoints.py
    EXPERT_STAGE_SIZE = int(_env("EXPERT_STAGE_SIZE", "4"))
    # Janus (the expert room's SFU): its public HTTP API for browsers, its Admin API on loopback
    # for this server, the admin secret, the VideoRoom plugin's admin key (only this server creates
    # rooms) and the key from which participants' tokens are derived. No JANUS_URL: the expert
    # room falls back to the browser mesh (scripts/janus.sh writes these for `make run`).
    JANUS_URL = _env("JANUS_URL", "")
    JANUS_PUBLIC_URL = _env("JANUS_PUBLIC_URL") or JANUS_URL
    JANUS_ADMIN_URL = _env("JANUS_ADMIN_URL", "")
    JANUS_ADMIN_SECRET = _env("JANUS_ADMIN_SECRET", "")
    JANUS_ADMIN_KEY = _env("JANUS_ADMIN_KEY", "")
    JANUS_TOKEN_KEY = _env("JANUS_TOKEN_KEY", "")
    # Origins besides this one that pages may connect to (the CSP's connect-src): Janus's.
    CSP_CONNECT_SRC = _env("CSP_CONNECT_SRC") or _origin(JANUS_PUBLIC_URL)
    INSURANCE_GATEWAY = _env("INSURANCE_GATEWAY", "in-process")
    INSURANCE_URL = _env("INSURANCE_URL", "http://127.0.0.1:5001")
    # The provincial supervision platform (regulator/): where reports go, as whom, how persistently.
    REGULATOR_URL = _env("REGULATOR_URL", "http://127.0.0.1:5002")
    REGULATOR_ORG_CODE = _env("REGULATOR_ORG_CODE", "H35010000001")
    REGULATOR_TIMEOUT = float(_env("REGULATOR_TIMEOUT", "5"))
    REGULATOR_BACKOFF = float(_env("REGULATOR_BACKOFF", "15"))  # first retry after, doubling
    REGULATOR_BACKOFF_CAP = float(_env("REGULATOR_BACKOFF_CAP", "300"))
    # Where `python app.py` serves (`make run` honours HOST and PORT).
    HOST = _env("HOST", "127.0.0.1")
    PORT = int(_env("PORT", "5000"))
    # The address printed in the prescription's QR code: by default the one this server serves,
    # so that a PDF from a server on any port carries a verify link that answers.
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL") or _served_at(HOST, PORT)

    # Legal retention periods in years (docs/retention.md says where each comes from). A record is
    # purged by `flask retention` only once its period has run out, counted from the date named.
    RETENTION_MEDICAL_RECORD_YEARS = int(_env("RETENTION_MEDICAL_RECORD_YEARS", "15"))  # from the last visit
    RETENTION_PRESCRIPTION_YEARS = int(_env("RETENTION_PRESCRIPTION_YEARS", "2"))  # from the day issued
    RETENTION_SPECIAL_PRESCRIPTION_YEARS = int(_env("RETENTION_SPECIAL_PRESCRIPTION_YEARS", "3"))
    # The formulary's special-control classes whose prescriptions keep the longer period
    # (麻醉药品, 精神药品, 医疗用毒性药品).
    RETENTION_SPECIAL_CLASSES = ("narcotic", "psychotropic", "toxic")
    # Text, image, audio and video records of a consultation (图文对话、音视频资料), from its end.
    RETENTION_CONSULTATION_MEDIA_YEARS = int(_env("RETENTION_CONSULTATION_MEDIA_YEARS", "3"))

    API_TITLE = "Internet hospital API"
    API_VERSION = "1.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


class TestConfig(Config):
    """Fast and isolated: a throw-away database; passwords still hashed with scrypt, at a lower cost."""

    TESTING = True
    # The same scrypt at N=2^10: a suite registers and logs in thousands of times, and at the
    # production cost those hashes were a third of an API test's time.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    SECRET_KEY = "test-secret"
    DATA_KEY = "test-data-key"
    LOGIN_RATE_LIMIT = "10 per minute"
    SERVER_NAME = None
