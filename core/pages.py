"""Pages every user needs: home, register, log in and out, language and elder-mode switches."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l

from core import accounts, audit, i18n, nav, notify, sessions
from core.auth import current_user, login_session, logout_session, page_roles
from core.errors import AppError
from core.extensions import limiter
from core.models import Role

bp = Blueprint("core_pages", __name__)

nav.add_nav(Role.ADMIN, _l("Staff"), "/admin/staff", order=80)
nav.add_nav(Role.ADMIN, _l("Audit log"), "/admin/audit", order=90)
nav.add_nav(Role.ADMIN, _l("API"), "/api/docs", order=99)
for _role in Role:
    nav.add_nav(_role, _l("My account"), "/account", order=95)
# The patient's elder home offers three tiles (templates/core/home.html) and today's health card;
# his elder menu keeps just those.
nav.add_elder_nav(Role.PATIENT, "/health", "/medicines", "/orders", "/consultations")


def _safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core_pages.home")


@bp.get("/")
def home():
    """Each role's home: the sections its domains registered."""
    user = current_user()
    if user is None:
        return render_template("core/welcome.html")
    sections = [(s.template, s.context(user)) for s in nav.home_sections(user.role)]
    return render_template("core/home.html", sections=sections)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Patient self-registration with real name and resident ID."""
    form, error = request.form, None
    if request.method == "POST":
        try:
            user = accounts.register_patient(
                form.get("name", ""), form.get("id_number", ""), form.get("phone", ""), form.get("password", "")
            )
        except AppError as err:
            error = err
        else:
            login_session(user)
            return redirect(url_for("core_pages.home"))
    return render_template("core/register.html", form=form, error=error), (422 if error else 200)


def _login_key() -> str:
    return f"{request.remote_addr}|{request.form.get('username', '').strip()}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_key, methods=["POST"])
def login():
    form, error = request.form, None
    if request.method == "POST":
        try:
            user = accounts.authenticate(form.get("username", ""), form.get("password", ""))
        except AppError as err:
            error = err
        else:
            login_session(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("core/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
def logout():
    logout_session()
    return redirect(url_for("core_pages.login"))


ALL_ROLES = [r.value for r in Role]


def _account_page(error=None, notice=None, status: int = 200):
    listing = sessions.listing(g.user.id, g.session_id)
    return render_template("core/account.html", sessions=listing, error=error, notice=notice), status


@bp.get("/account")
@page_roles(*ALL_ROLES)
def account():
    """The user's account: change the password, see and end his sessions, log out everywhere."""
    return _account_page(notice=request.args.get("done"))


@bp.route("/account/password", methods=["GET", "POST"])
@page_roles(*ALL_ROLES)
def password_page():
    """Change the password; the only page a user with a reset password may use until he has."""
    if request.method == "GET" and not g.user.must_change_password:
        return redirect(url_for("core_pages.account"))
    error = None
    if request.method == "POST":
        try:
            accounts.change_password(g.user, request.form.get("old_password", ""), request.form.get("new_password", ""))
        except AppError as err:
            error = err
        else:
            login_session(g.user)  # every old session ended; this browser starts a new one
            return redirect(url_for("core_pages.account", done="password"))
    if g.user.must_change_password:
        return render_template("core/password.html", error=error), (422 if error else 200)
    return _account_page(error=error, status=422)


@bp.post("/account/sessions/<int:session_id>/revoke")
@page_roles(*ALL_ROLES)
def revoke_session(session_id: int):
    sessions.revoke(g.user.id, session_id)
    if session_id == g.session_id:
        session.clear()
        return redirect(url_for("core_pages.login"))
    return redirect(url_for("core_pages.account", done="revoked"))


@bp.post("/account/logout-everywhere")
@page_roles(*ALL_ROLES)
def logout_everywhere():
    sessions.revoke_all(g.user.id)
    session.clear()
    return redirect(url_for("core_pages.login"))


@bp.post("/admin/users/<int:user_id>/reset-password")
@page_roles(Role.ADMIN)
def reset_password(user_id: int):
    """An administrator gives a user a temporary password (shown once on the staff page)."""
    temporary = accounts.reset_password(g.user, user_id, None)
    reset_user = accounts.get_user(user_id)
    return _staff_page(form={}, error=None, created=None, reset=(reset_user, temporary))


def _remember(response, name: str, value: str):
    response.set_cookie(name, value, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.post("/settings/language")
def set_language():
    """Switch language; saved on the user when logged in, in a cookie otherwise."""
    locale = request.form.get("locale", "zh")
    if locale not in current_app.config["LANGUAGES"]:
        locale = "zh"
    if g.get("user") is not None:
        accounts.set_preferences(g.user, locale=locale)
    return _remember(redirect(_safe_next(request.form.get("next"))), "lang", locale)


@bp.post("/settings/elder")
def set_elder_mode():
    """Turn elder mode (长辈版) on or off; also ends the first-visit offer."""
    on = request.form.get("elder") == "1"
    if g.get("user") is not None:
        accounts.set_preferences(g.user, elder_mode=on)
    response = _remember(redirect(_safe_next(request.form.get("next"))), "elder", "1" if on else "0")
    return _remember(response, "elder_offered", "1")


@bp.get("/api/docs")
def api_docs():
    """Browsable API documentation (Swagger UI, vendored: no CDN)."""
    return render_template("core/api_docs.html")


@bp.route("/admin/staff", methods=["GET", "POST"])
@page_roles(Role.ADMIN)
def staff():
    form, error, created = request.form, None, None
    if request.method == "POST":
        try:
            created = accounts.create_staff(
                form.get("username", ""),
                form.get("role", ""),
                form.get("name", ""),
                form.get("password", ""),
                form.get("phone") or None,
                form.get("id_number") or None,
            )
        except AppError as err:
            error = err
    return _staff_page(form=form if error else {}, error=error, created=created)


# Staff roles in words; the staff page offers those accounts.change_access may give and shows the rest.
_ROLE_LABELS = {
    Role.DOCTOR: _l("Doctor"),
    Role.PHARMACIST: _l("Pharmacist"),
    Role.DISPATCHER: _l("Dispatcher"),
    Role.ADMIN: _l("Administrator"),
}


def _staff_page(**context):
    """The staff list; each row's role select and (de)activate button call PATCH /api/staff/<id>."""
    assignable = {role: _ROLE_LABELS[role] for role in accounts.ASSIGNABLE_ROLES}
    return render_template(
        "core/staff.html",
        staff=accounts.list_staff(),
        assignable_roles=assignable,
        role_labels=_ROLE_LABELS,
        **context,
    )


@bp.get("/admin/audit")
@page_roles(Role.ADMIN)
def audit_page():
    """The log in words: who did what to whose data, with links to the objects; filter by person."""
    actor, patient = request.args.get("actor", type=int), request.args.get("patient", type=int)
    rows = audit.readable(actor_id=actor, patient_id=patient)
    return render_template("core/audit.html", rows=rows, actor=actor, patient=patient)


@bp.get("/notifications")
@page_roles(*[r.value for r in Role])
def notifications_page():
    """The inbox in words, each with a link to what it is about; opening it reads them."""
    return render_template("core/notifications.html", items=notify.open_inbox(g.user))


@bp.app_context_processor
def _unread() -> dict:
    """The navigation's unread count, asked only by pages that show the menu."""
    return {
        "unread_notifications": lambda: notify.unread_count(g.user.id) if g.get("user") else 0,
        "elder_nav_paths": nav.elder_paths,
    }


bp.add_app_template_filter(i18n.moment, "moment")
bp.add_app_template_filter(i18n.day_words, "moment_day")
bp.add_app_template_filter(lambda value: i18n.moment(value, deadline=True), "moment_deadline")
bp.add_app_template_filter(lambda value: i18n.moment(value, today_bare=True), "moment_today_bare")
