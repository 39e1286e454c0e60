"""Named points where a crash can be injected, to prove that money and stock survive one.

`hit("payment.before_insurer")` does nothing unless the FAILPOINTS setting (environment
variable, comma-separated names) names that point; then the process kills itself with SIGKILL
on the spot — no cleanup, no rollback, exactly like a power cut or the OOM killer. Only tests
set FAILPOINTS (tests/hardening/test_payment_crash.py starts a server with it).
"""

from __future__ import annotations

import logging
import os
import signal

from flask import current_app, has_app_context

log = logging.getLogger(__name__)


def armed(name: str) -> bool:
    if not has_app_context():
        return False
    names = current_app.config.get("FAILPOINTS") or ""
    return name in {part.strip() for part in names.split(",")}


def hit(name: str) -> None:
    """Die here, now, with SIGKILL, if the failpoint `name` is armed."""
    if armed(name):
        log.critical("failpoint %s: killing process %s", name, os.getpid())
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)
