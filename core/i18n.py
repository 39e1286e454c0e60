"""Language choice (Chinese by default, English at a switch, remembered per user) and catalogs.

Each area keeps its own catalog under translations/<area>/ so that areas are edited apart;
Flask-Babel merges them. The `client` catalog holds the texts of page scripts (App.t in JS).
Catalogs are compiled (.po -> .mo) at start when stale, so a fresh clone needs no extra step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_locale, gettext

from core import clock
from core.config import ROOT

TRANSLATIONS = ROOT / "translations"


class RequestDomain(Domain):
    """Flask-Babel's default domain, remembering within a request which translations it uses.

    Flask-Babel looks the translations up again for every string (its context, the locale, the
    locale's name built anew, its cache): several times the lookup of the string itself, a
    tenth of an inbox's CPU. They are remembered beside the locale they are for, in Flask-Babel's
    own per-request namespace, so that a changed locale (`force_locale`, `refresh`) gets its
    own; wherever that namespace is not as expected, Flask-Babel's lookup runs as before."""

    def get_translations(self):
        state = _babel_state()
        remembered = getattr(state, "i18n_translations", None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]
        translations = super().get_translations()  # selects the locale (and makes the namespace)
        state = _babel_state()
        if state is not None:  # outside an app context there is nowhere to keep it
            state.i18n_translations = (getattr(state, "babel_locale", None), translations)
        return translations


def _babel_state():
    """Flask-Babel's per-request namespace (its locale and translations), or None without a
    context (the namespace is made by Flask-Babel's own lookup, as its first string needs)."""
    return g.get("_flask_babel") if has_app_context() else None


def use_request_domain(babel: Babel, app: Flask) -> None:
    """Make RequestDomain the domain that gettext, lazy_gettext and templates use (Flask-Babel
    keeps its default domain in `Babel.domain_instance`, built at first use)."""
    babel.domain_instance = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))


def translation_dirs() -> list[str]:
    """Every area's catalog directory, core first."""
    areas = sorted(p for p in TRANSLATIONS.iterdir() if p.is_dir()) if TRANSLATIONS.exists() else []
    return [str(p) for p in areas]


def compile_catalogs() -> None:
    """Compile every messages.po whose .mo is missing or older."""
    for po_path in TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        _compile(po_path, mo_path)


def _compile(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parent.parent.name)
    tmp = mo_path.with_suffix(".mo.tmp")
    with tmp.open("wb") as mo_file:
        write_mo(mo_file, catalog)
    tmp.replace(mo_path)  # atomic: a concurrent reader never sees half a file


@lru_cache(maxsize=1)
def client_msgids() -> tuple[str, ...]:
    """The texts that page scripts show: the msgids of the `client` catalogs (`client` and any
    `client-<area>`, so that areas add page texts without editing one shared file)."""
    msgids: list[str] = []
    for po_path in sorted(TRANSLATIONS.glob("client*/zh/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po_file:
            msgids.extend(message.id for message in read_po(po_file) if message.id)
    return tuple(dict.fromkeys(msgids))


def client_texts() -> dict[str, str]:
    """Page scripts' texts in the current language, handed to them as JSON by base.html."""
    return {msgid: gettext(msgid) for msgid in client_msgids()}


def select_locale() -> str:
    """The user's saved language, else the `lang` cookie, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, background tasks: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user = g.get("user")
    if user is not None and user.locale in languages:
        return user.locale
    cookie = request.cookies.get("lang")
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def elder_mode() -> bool:
    """Elder mode from the user's setting, or the cookie for visitors."""
    if not has_request_context():
        return False
    user = g.get("user")
    if user is not None:
        return bool(user.elder_mode)
    return request.cookies.get("elder") == "1"


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def moment(value, deadline: bool = False, today_bare: bool = False) -> str:
    """A time as people say it, in the current language, without seconds: "12月3日 14:00" /
    "3 Dec 14:00". A deadline at local midnight reads as 24:00 of the day before, as on a notice.
    `today_bare`: a time of today is its hour alone ("14:00"), as the shift desk says a shift's end."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = clock.to_local(value)
    hour = f"{local:%H:%M}"
    if deadline and (local.hour, local.minute) == (0, 0):
        local, hour = local - timedelta(minutes=1), "24:00"
    if today_bare and local.date() == clock.today():
        return hour
    if str(get_locale() or "zh").startswith("zh"):
        return f"{local.month}月{local.day}日 {hour}"
    return f"{local.day} {_MONTHS_EN[local.month - 1]} {hour}"


def day_words(value) -> str:
    """A calendar day as people say it: "12月3日" / "3 Dec"."""
    if value is None:
        return ""
    if str(get_locale() or "zh").startswith("zh"):
        return f"{value.month}月{value.day}日"
    return f"{value.day} {_MONTHS_EN[value.month - 1]}"
