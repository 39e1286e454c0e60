"""Insurance fixtures: the app with the in-process mock insurer, insured persons, vouchers, claims."""

from __future__ import annotations

import pytest

from core.extensions import db
from insurance.claims import Claim, ClaimLine, claim_builder, set_claim_builder
from insurance.gateway import get_gateway, in_process_insurer, reset_gateway
from tests.conftest import valid_id

# Fast retries for tests: 3 attempts, 10 ms then 20 ms apart. The time limit per attempt is
# generous on purpose: a test that means slowness injects it (the mock's faults), and a busy
# machine must not make an ordinary call look like a timeout (the in-process insurer measures
# wall-clock time; under load its first call took more than 2 s and the seed gave up).
FAST = {"INSURANCE_RETRIES": 3, "INSURANCE_BACKOFF": 0.01, "INSURANCE_BACKOFF_CAP": 0.05, "INSURANCE_TIMEOUT": 30.0}

LINES = (
    ClaimLine("XA01", "氨氯地平片 amlodipine", "A", 2, 3_000),  # 60 yuan, class A
    ClaimLine("XB02", "二甲双胍缓释片 metformin XR", "B", 1, 5_000),  # 50 yuan, class B
    ClaimLine("XC03", "维生素 vitamin", "C", 1, 3_000),  # 30 yuan, class C
)


def ensure_tables() -> None:
    """Create the ins_/mi_ tables when the migration does not have them yet (no-op once it does)."""
    from insurance.mock_insurer.models import MI_TABLES
    from insurance.models import OutgoingMessage, Settlement

    db.metadata.create_all(db.engine, tables=[*MI_TABLES, Settlement.__table__, OutgoingMessage.__table__])


def configure(app, **overrides) -> None:
    app.config.update({**FAST, **overrides})
    reset_gateway(app)
    app.extensions.pop("mock_insurer", None)


@pytest.fixture
def ins_app(app):
    """The app (fresh database) with the in-process insurer, fast retries and no faults."""
    ensure_tables()
    configure(app)
    builder = claim_builder()
    yield app
    set_claim_builder(builder)  # put back whatever the app registered (pharmacy's)


@pytest.fixture(params=["counter", "mobile"])
def flow(request, ins_app):
    """Run a test through both payment flows: 2207/2208 and the mobile channel's 6201/6202/6203."""
    configure(ins_app, INSURANCE_FLOW=request.param)
    return request.param


class Insured:
    """Enrol people with the mock insurer, issue their vouchers, build their claims."""

    def __init__(self):
        self.serial = 500

    def person(self, insutype="310", balance_fen=100_000, chronic=(), ytd=None, name="参保人") -> dict:
        self.serial += 1
        certno = valid_id("19550101", f"{self.serial % 1000:03d}")
        data = {
            "certno": certno,
            "psn_name": name,
            "insutype": insutype,
            "balc": f"{balance_fen / 100:.2f}",
            "chronic": [{"code": code, "name": code} for code in chronic],
            "reset": True,
            # By default the deductibles are met, so the fund pays from the first fen.
            "ytd": ytd
            if ytd is not None
            else {"11": {"deductible_used": "800.00"}, "14": {"deductible_used": "200.00"}},
        }
        psn_no = get_gateway().enroll(data)
        return {"certno": certno, "psn_no": psn_no, "name": name}

    def voucher(self, person: dict) -> str:
        return get_gateway().issue_voucher(person["certno"]).token

    def claim(self, person: dict | None, order: str, lines=LINES, token: str | None = None, **extra) -> Claim:
        """A claim paid with a fresh voucher of `person` (None: self-pay)."""
        if person is not None and token is None:
            token = self.voucher(person)
        certno = person["certno"] if person else None
        return Claim(med_org_ord=order, lines=lines, voucher_token=token, certno=certno, **extra)

    def balance(self, person: dict) -> int:
        return in_process_insurer().balance_of(person["psn_no"])

    def charges(self, order: str) -> list:
        """The insurer's settlements for an order."""
        return in_process_insurer().settlements_for(order)


@pytest.fixture
def insured(ins_app):
    return Insured()
