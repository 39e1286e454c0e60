"""How chronic care's events read in a person's inbox and live notice (see core.notify). Most
carry their sentence already written in the recipient's language (`title`) and the page they are
about (`url`); the title here says what kind of news it is."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.notify import register_notice

CHRONIC_TITLES = {
    "chronic.alert": _l("Urgent home reading"),
    "chronic.alert_seen": _l("A doctor has seen your reading"),
    "chronic.dose_due": _l("Time for your medicine"),
    "chronic.run_out": _l("Your medicine is running out"),
    "chronic.lab_results": _l("Laboratory results are in"),
}
for _event, _title in CHRONIC_TITLES.items():
    register_notice(_event, _title, "%(title)s")

register_notice(
    "chronic.lab_ordered",
    _l("Laboratory tests ordered"),
    _l("Your doctor ordered laboratory tests. Book a time at a network hospital."),
)
