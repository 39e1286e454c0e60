"""The doctor's page of his quick replies (常用语): the same editor the chat's chips open, on its own."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.models import Role

bp = Blueprint("quick_reply_pages", __name__)

nav.add_nav(Role.DOCTOR, _l("My quick replies"), "/quick-replies", order=55)


@bp.get("/quick-replies")
@page_roles(Role.DOCTOR)
def my_quick_replies():
    """Add, edit, delete and reorder his quick replies (the page's script calls the API)."""
    return render_template("hospital/workbench/quick_replies.html")
