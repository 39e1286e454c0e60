"""Domain errors and the one place that turns every error into flask-smorest's JSON shape."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException


class AppError(Exception):
    """A domain error: an HTTP status, a stable machine-readable reason and a translatable message.

    `message` is a (lazy) msgid with %(name)s placeholders filled from `params` when rendered,
    so that the same error reads in the user's language.
    """

    status = 400
    default_reason = "bad_request"

    def __init__(self, reason: str | None = None, message=None, field: str | None = None, **params):
        self.reason = reason or self.default_reason
        self.message = message if message is not None else reason
        self.field = field
        self.params = params
        super().__init__(self.render_message())

    def render_message(self) -> str:
        """The message in the current language, placeholders filled."""
        text = str(self.message)
        return text % self.params if self.params else text


class BadRequest(AppError):
    status = 400


class ValidationFailed(AppError):
    """Input that is well-formed but wrong for the domain; names the field at fault."""

    status = 422
    default_reason = "invalid"


class Unauthorized(AppError):
    status = 401
    default_reason = "unauthenticated"


class Forbidden(AppError):
    status = 403
    default_reason = "forbidden"


class NotFound(AppError):
    status = 404
    default_reason = "not_found"


class Conflict(AppError):
    """A state conflict: an illegal transition, a duplicate, a request still running."""

    status = 409
    default_reason = "conflict"


class TooManyRequests(AppError):
    status = 429
    default_reason = "rate_limited"


class UpstreamUnavailable(AppError):
    """A partner (the insurer) did not answer; the action can be retried."""

    status = 503
    default_reason = "upstream_unavailable"


_STATUS_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_body(status: int, message: str, reason: str | None = None, field: str | None = None) -> dict:
    """The JSON body of an error, in flask-smorest's shape plus our `reason`."""
    body = {"code": status, "status": _STATUS_NAMES.get(status, "Error"), "message": message}
    if reason:
        body["reason"] = reason
    if field:
        body["errors"] = {"json": {field: [message]}}
    return body


def _wants_json() -> bool:
    return request.path.startswith("/api") or request.accept_mimetypes.best == "application/json"


def _fields(messages: dict) -> list[str]:
    """The names of the fields at fault, from webargs' {location: {field: [...]}} messages."""
    names: list[str] = []
    for per_location in messages.values():
        names.extend(per_location.keys() if isinstance(per_location, dict) else [])
    return names


def register_error_handlers(app: Flask) -> None:
    """Install the handlers: domain errors, HTTP errors outside the API, and unexpected ones."""

    @app.errorhandler(AppError)
    def handle_app_error(err: AppError):
        body = error_body(err.status, err.render_message(), err.reason, err.field)
        if getattr(err, "fields", None):  # an error naming several fields at once (a whole form)
            body["errors"] = {"json": {name: [str(text)] for name, text in err.fields.items()}}
        return jsonify(body), err.status

    @app.errorhandler(429)
    def handle_rate_limit(err):
        message = gettext("Too many attempts. Please wait a minute and try again.")
        if _wants_json():
            return jsonify(error_body(429, message, "rate_limited")), 429
        from flask import render_template

        return render_template("error.html", code=429, message=message), 429

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException):
        if _wants_json():
            # flask-smorest's own handler covers its blueprints; this covers the rest of /api.
            body = error_body(err.code or 500, err.description or err.name)
            data = getattr(err, "data", None) or {}
            if "messages" in data:
                body["errors"] = data["messages"]
                body["message"] = gettext("Please correct: %(fields)s", fields=", ".join(_fields(data["messages"])))
            return jsonify(body), err.code
        from flask import render_template

        return render_template("error.html", code=err.code, message=err.description), err.code


MSG_LOGIN_REQUIRED = _l("Please log in first.")
MSG_ROLE_REFUSED = _l("Your role may not do this.")
MSG_NOT_FOUND = _l("Not found, or not yours to see.")
