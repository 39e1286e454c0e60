"""The patient's checkout pages: the address book, the way to the insurer's authorisation page,
and "确认收货" on an order. (The payment page itself is pharmacy.pages.order_new.)"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from core.auth import current_user, page_roles
from core.errors import AppError
from core.models import Role
from pharmacy import addresses, checkout, receipt

bp = Blueprint("checkout_pages", __name__)


def _next_page(default: str) -> str:
    """Where to go back to after saving: a path on this site only (never another site)."""
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


@bp.get("/orders/new/authorize")
@page_roles(Role.PATIENT)
def authorize():
    """Off to the insurer's page to authorise the e-voucher; it sends the patient back here."""
    prescription_id = request.args.get("prescription", type=int) or 0
    back = url_for(
        "pharmacy_pages.order_new", prescription=prescription_id, address=request.args.get("address"), _external=True
    )
    try:
        return redirect(checkout.authorisation_url(current_user(), prescription_id, back, _lang()))
    except AppError as err:
        flash(err.render_message(), "error")
        return redirect(url_for("pharmacy_pages.order_new", prescription=prescription_id))


def _lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh"


@bp.route("/addresses", methods=["GET", "POST"])
@page_roles(Role.PATIENT)
def address_book():
    """My addresses: choose the default, remove one, add one (every wrong field named at once)."""
    user, error, form = current_user(), None, request.form
    if request.method == "POST":
        try:
            addresses.add_address(user, form, make_default=form.get("make_default") == "1")
        except AppError as err:
            error = err
        else:
            flash(gettext("Address saved."), "ok")
            return redirect(_next_page(url_for("checkout_pages.address_book")))
    return render_template(
        "pharmacy/addresses.html",
        addresses=addresses.list_addresses(user),
        error=error,
        form=form,
        next=_next_page(""),
        user=user,
    ), (422 if error else 200)


@bp.post("/addresses/<int:address_id>/default")
@page_roles(Role.PATIENT)
def make_default(address_id: int):
    """Choose this address first from now on."""
    addresses.set_default(current_user(), address_id)
    return redirect(_next_page(url_for("checkout_pages.address_book")))


@bp.post("/addresses/<int:address_id>/delete")
@page_roles(Role.PATIENT)
def remove(address_id: int):
    """Remove an address (orders keep the address they went to)."""
    addresses.remove_address(current_user(), address_id)
    flash(gettext("Address removed."), "ok")
    return redirect(_next_page(url_for("checkout_pages.address_book")))


@bp.post("/orders/<int:order_id>/receipt")
@page_roles(Role.PATIENT)
def confirm_receipt(order_id: int):
    """ "确认收货": the patient has his medicine."""
    try:
        receipt.confirm_receipt(current_user(), order_id)
    except AppError as err:
        if err.status == 404:
            raise
        flash(err.render_message(), "error")
    else:
        flash(gettext("Thank you: receipt confirmed."), "ok")
    return redirect(url_for("pharmacy_pages.order_detail", order_id=order_id))
