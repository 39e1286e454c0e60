"""Domain errors and the one place that turns every error into flask-smorest's JSON shape."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from core.extensions import db, end_transaction

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
# The database did not answer (down, restarting, connections cut, pool exhausted): retry later.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)
# A value the database cannot hold (beyond 64 bits, a NUL in text) that no schema caught.
VALUE_REFUSED = (sa_exc.DataError, OverflowError)


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


def commit_unique(reason: str, message, field: str | None = None) -> None:
    """Commit; if a unique constraint refuses the rows (two requests raced past the service's own
    checks), roll back and answer 409 with the caller's reason. The constraint is the last word on
    duplicates, so the loser gets a clear conflict rather than a 500."""
    try:
        db.session.commit()
    except sa_exc.IntegrityError:
        db.session.rollback()
        raise Conflict(reason, message, field=field) from None


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


def _forget_session() -> None:
    """Drop the failed transaction and the user loaded with it (its attributes would reload)."""
    g.user = None
    end_transaction()


def _error_response(status: int, message: str, reason: str):
    response = jsonify(error_body(status, message, reason)) if _wants_json() else app_page_error(status, message)
    response.status_code = status
    return response


def app_page_error(status: int, message: str):
    """The error page as a response (language and navigation work without the database)."""
    return make_response(*error_page(status, message))


# What a person reads for an HTTP error outside the API, in his language (never werkzeug's English).
PAGE_MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    403: _l("This page is not for your account. If you think it should be, log in with another account."),
    404: _l("This page does not exist, or it is not yours to see. Check the address or start again from home."),
    405: _l("This page cannot be used this way. Start again from home."),
    413: _l("The file is too large."),
    500: _l("Something went wrong on our side. Nothing you did caused it; please try again from home."),
}
PAGE_TITLES = {
    403: _l("Not allowed"),
    404: _l("Page not found"),
    500: _l("System error"),
}


def _page_message(code: int, fallback: str | None = None) -> str:
    return str(PAGE_MESSAGES.get(code) or fallback or PAGE_MESSAGES[500])


def error_page(code: int, message: str):
    """The error page: what happened in words and the way back home, in the user's language."""
    if code >= 500:
        _forget_session()  # the page itself reads the database (the menu's unread count)
    title = PAGE_TITLES.get(code) or _l("Something went wrong")
    return render_template("error.html", code=code, title=str(title), message=message), code


def register_error_handlers(app: Flask) -> None:
    """Install the handlers: domain errors, HTTP errors outside the API, and unexpected ones."""

    @app.errorhandler(AppError)
    def handle_app_error(err: AppError):
        if not _wants_json():  # a page: the same words, on a page with the way back
            return error_page(err.status, err.render_message())
        body = error_body(err.status, err.render_message(), err.reason, err.field)
        body.update(getattr(err, "extra", None) or {})  # e.g. every finding of a refused prescription
        if getattr(err, "fields", None):  # an error naming several fields at once (a whole form)
            body["errors"] = {"json": {name: [str(text)] for name, text in err.fields.items()}}
        return jsonify(body), err.status

    def handle_database_unavailable(err: Exception):
        log.warning("database unavailable: %s", err.__class__.__name__, exc_info=True)
        _forget_session()
        message = gettext("The service is briefly unavailable. Please try again in a few seconds.")
        response = _error_response(503, message, "service_unavailable")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    def handle_value_refused(err: Exception):
        log.warning("value refused by the database: %s", err)
        _forget_session()
        return _error_response(422, gettext("A value is out of range or not allowed."), "value_out_of_range")

    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, handle_database_unavailable)
    for kind in VALUE_REFUSED:
        app.register_error_handler(kind, handle_value_refused)

    @app.errorhandler(429)
    def handle_rate_limit(err):
        message = gettext("Too many attempts. Please wait a minute and try again.")
        if _wants_json():
            return jsonify(error_body(429, message, "rate_limited")), 429
        return error_page(429, message)

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException):
        code = err.code or 500
        if _wants_json():
            # flask-smorest's own handler covers its blueprints; this covers the rest of /api.
            message = _page_message(code, err.description) if code >= 500 else (err.description or err.name)
            body = error_body(code, message)
            data = getattr(err, "data", None) or {}
            if "messages" in data:
                body["errors"] = data["messages"]
                body["message"] = gettext("Please correct: %(fields)s", fields=", ".join(_fields(data["messages"])))
            return jsonify(body), code
        if code == 400 and "CSRF" in (err.description or ""):
            return error_page(
                400,
                gettext("The form was open too long or came from elsewhere. Go back, reload the page and try again."),
            )
        return error_page(code, _page_message(code))


MSG_LOGIN_REQUIRED = _l("Please log in first.")
MSG_ROLE_REFUSED = _l("Your role may not do this.")
MSG_NOT_FOUND = _l("Not found, or not yours to see.")
