"""Pages of prescriptions: the doctor's editor, the pharmacists' live review queue, the patient's
list, detail, PDF and renewal, the consultation panel and the "my medicines" home section."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from core import nav
from core.auth import page_roles
from core.errors import AppError
from core.models import Role
from hospital import status_words as words
from hospital.models.prescriptions import PrescriptionStatus as S
from hospital.services import consultation_access, formulary, prescriptions, renewal, statistics
from hospital.services import prescription_safety as safety

bp = Blueprint("prescription_pages", __name__)

nav.add_nav(Role.PATIENT, _l("My prescriptions"), "/prescriptions", order=30)
nav.add_nav(Role.DOCTOR, _l("My prescriptions"), "/prescriptions", order=40)
nav.add_nav(Role.PHARMACIST, _l("Prescription review"), "/pharmacist/review", order=10)
nav.add_nav(Role.ADMIN, _l("Formulary"), "/admin/formulary", order=40)
nav.add_nav(Role.PATIENT, _l("My medicines"), "/medicines", order=15)
nav.add_home_section(Role.PATIENT, "hospital/prescriptions/_home_to_pay.html", renewal.pay_context, order=5)
nav.add_home_section(Role.PATIENT, "hospital/prescriptions/_home_medicines.html", renewal.home_context, order=10)
prescriptions.register_with_consultations()


def _panel(consultation, user) -> dict:
    """What the consultation page's prescription panel shows (the doctor's or the patient's view)."""
    if user.role not in (Role.PATIENT, Role.DOCTOR, Role.PHARMACIST):
        return {"prescriptions": [], "proposal": None}
    rows = prescriptions.list_for(user, consultation_id=consultation.id)
    return {"prescriptions": rows, "proposal": renewal.proposal_for(consultation)}


@bp.app_context_processor
def _inject() -> dict:
    return {"rx_panel": _panel, "rx_status": words.PRESCRIPTION_STATUS, "rx_frequency": _frequency}


def _frequency(code: str) -> str:
    return str(safety.FREQUENCY_LABELS.get(code, code))


def _editor_strings() -> dict:
    """Texts the editor script shows, in the user's language."""
    return {
        k: str(v)
        for k, v in {
            "dose": _l("Dose"),
            "days": _l("Days"),
            "quantity": _l("Quantity"),
            "remove": _l("Remove"),
            "saved": _l("Draft saved."),
            "signed": _l("Signed and sent to the pharmacists."),
            "no_results": _l("No drug found."),
            "open": _l("Open the prescription"),
            "special": _l("special control: cannot be prescribed online"),
            "searching": _l("Searching…"),
            "results": _l("%(n)s drugs found"),
            "earlier": _l("from an earlier prescription"),
        }.items()
    } | {"frequencies": {k: str(v) for k, v in safety.FREQUENCY_LABELS.items()}}


@bp.get("/prescriptions")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.PHARMACIST)
def my_prescriptions():
    if g.user.role == Role.PHARMACIST:
        return redirect(url_for("prescription_pages.review_queue"))
    return render_template("hospital/prescriptions/list.html", prescriptions=prescriptions.list_for(g.user))


@bp.get("/consultations/<int:consultation_id>/prescription-panel")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.ADMIN, Role.PHARMACIST)
def consultation_panel(consultation_id: int):
    """The consultation page's prescription panel alone: the page swaps it in when the room says a
    prescription was signed or reviewed (404 to anyone who may not see the consultation)."""
    consultation = consultation_access.get_consultation_for(g.user, consultation_id)
    return render_template("hospital/prescriptions/_consultation_panel.html", consultation=consultation)


@bp.get("/prescriptions/<int:prescription_id>")
@page_roles(Role.PATIENT, Role.DOCTOR, Role.PHARMACIST)
def detail(prescription_id: int):
    rx = prescriptions.get_with_integrity(g.user, prescription_id)
    return render_template("hospital/prescriptions/detail.html", rx=rx, error=None)


@bp.get("/medicines")
@page_roles(Role.PATIENT)
def my_medicines():
    """我的用药: each current medicine with its days left and a one-tap renew button."""
    return render_template("hospital/prescriptions/medicines.html", **renewal.home_context(g.user), error=None)


@bp.post("/prescriptions/<int:prescription_id>/renew")
@page_roles(Role.PATIENT)
def renew(prescription_id: int):
    """One tap: the renewal consultation opens for this prescription's diagnosis and department
    (or the one already open for it); an error is said in words on the page the tap came from."""
    try:
        consultation = renewal.request_renewal(g.user, prescription_id)
    except AppError as err:
        if err.status == 404:
            raise
        if request.form.get("from") == "medicines":
            page = render_template("hospital/prescriptions/medicines.html", **renewal.home_context(g.user), error=err)
            return page, err.status
        rx = prescriptions.get_with_integrity(g.user, prescription_id)
        return render_template("hospital/prescriptions/detail.html", rx=rx, error=err), err.status
    return redirect(url_for("consultation_pages.detail", consultation_id=consultation.id))


def _initial(rx) -> dict:
    """The draft's content for the editor script."""
    if rx is None:
        return {"items": [], "long_prescription": False, "long_reason": "", "validity_days": 1}
    items = [
        {
            "drug_code": i.drug_code,
            "name": i.name_zh,
            "strength": i.strength,
            "dose": i.dose,
            "dose_unit": i.dose_unit,
            "frequency": i.frequency,
            "days": i.days,
        }
        for i in rx.items
    ]
    return {
        "items": items,
        "long_prescription": rx.long_prescription,
        "long_reason": rx.long_reason,
        "validity_days": rx.validity_days,
    }


def _editor(consultation_id: int, rx=None):
    record = prescriptions.editor_record(g.user, consultation_id)
    return render_template(
        "hospital/prescriptions/editor.html",
        consultation_id=consultation_id,
        rx=rx,
        record=record,
        allergies=record.allergies,
        diagnosis=record.consultation.diagnosis,
        override_reasons=prescriptions.OVERRIDE_REASONS,
        strings=_editor_strings(),
        initial=_initial(rx),
    )


@bp.get("/prescriptions/new")
@page_roles(Role.DOCTOR)
def new_prescription():
    """The editor for a new prescription in one of the doctor's accepted consultations."""
    return _editor(request.args.get("consultation", type=int) or 0)  # 404/409 unless his accepted one


@bp.get("/prescriptions/<int:prescription_id>/edit")
@page_roles(Role.DOCTOR)
def edit(prescription_id: int):
    rx = prescriptions.get_with_integrity(g.user, prescription_id)
    if rx.status != S.DRAFT:
        return redirect(url_for("prescription_pages.detail", prescription_id=rx.id))
    return _editor(rx.consultation_id, rx)


@bp.post("/prescriptions/from-renewal")
@page_roles(Role.DOCTOR)
def from_renewal():
    """The doctor starts from the patient's proposed copy (then reviews, adjusts and signs)."""
    rx = renewal.draft_from_renewal(g.user, request.form.get("consultation_id", type=int) or 0)
    return redirect(url_for("prescription_pages.edit", prescription_id=rx.id))


@bp.post("/prescriptions/<int:prescription_id>/revise")
@page_roles(Role.DOCTOR)
def revise(prescription_id: int):
    rx = prescriptions.revise(g.user, prescription_id)
    return redirect(url_for("prescription_pages.edit", prescription_id=rx.id))


def _pharmacist_home(user) -> dict:
    return {"backlog": statistics.review_backlog(prescriptions.review_queue(user))}


nav.add_home_section(Role.PHARMACIST, "hospital/prescriptions/_home_review.html", _pharmacist_home, order=10)

# Reasons a pharmacist most often gives; he ticks any and may add his own words.
REJECT_PRESETS = (
    _l("Dose above the recommended range"),
    _l("Interaction or duplicate therapy with the active medications"),
    _l("Not indicated for the diagnosis"),
    _l("Allergy or contraindication"),
    _l("Supply period too long"),
    _l("Prescription incomplete or unclear"),
)


def _reject_reason(form) -> str:
    """The ticked preset reasons, then the pharmacist's own words."""
    presets = [str(REJECT_PRESETS[i]) for i in range(len(REJECT_PRESETS)) if str(i) in form.getlist("preset")]
    return "; ".join([*presets, form.get("reason", "").strip()]).strip("; ")


@bp.get("/pharmacist/review")
@page_roles(Role.PHARMACIST)
def review_queue():
    """The live queue of the pharmacist's hospital, oldest first; after a review it says what was done."""
    queue, room = prescriptions.review_queue_for(g.user)
    return render_template(
        "hospital/prescriptions/queue.html",
        queue=queue,
        review_room=room,
        backlog=statistics.review_backlog(queue),
        done=_reviewed(request.args.get("reviewed", type=int)),
    )


def _reviewed(prescription_id: int | None):
    """The prescription just reviewed, for the confirmation (none for a stale or foreign link)."""
    if not prescription_id:
        return None
    try:
        return prescriptions.get_with_integrity(g.user, prescription_id)
    except AppError:
        return None


@bp.route("/pharmacist/review/<int:prescription_id>", methods=["GET", "POST"])
@page_roles(Role.PHARMACIST)
def review(prescription_id: int):
    """The prescription with the patient's age, sex, allergies, confirmed diagnoses, active medications,
    the findings and the doctor's override; approve or reject."""
    error = None
    if request.method == "POST":
        try:
            prescriptions.review_prescription(
                g.user, prescription_id, request.form.get("decision", ""), _reject_reason(request.form)
            )
        except AppError as err:
            error = err
        else:
            return redirect(url_for("prescription_pages.review_queue", reviewed=prescription_id))
    view = prescriptions.review_view(g.user, prescription_id)
    return render_template(
        "hospital/prescriptions/review.html",
        rx=view.rx,
        view=view,
        allergies=view.allergies,
        error=error,
        reject_presets=REJECT_PRESETS,
    ), (error.status if error else 200)


@bp.get("/admin/formulary")
@page_roles(Role.ADMIN)
def formulary_page():
    drugs = formulary.search_drugs(request.args.get("q"), limit=50)
    return render_template("hospital/prescriptions/formulary.html", drugs=drugs, q=request.args.get("q", ""))
