"""E-voucher tokens (the ecToken a patient's phone shows as a QR code).

A token is `ec1.<payload>.<signature>`: the payload names one person (psn_no), an expiry and a
random nonce; the signature is HMAC-SHA256 under the insurer's secret. Verification refuses
forged and expired tokens; single use is the insurer's ledger's job (the nonce is recorded,
under a unique constraint, when the token pays).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "ec1"


class TokenError(ValueError):
    """Why a token is refused: reason is `malformed`, `forged` or `expired`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VoucherClaims:
    psn_no: str
    expires_at: datetime
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, f"{PREFIX}.{payload}".encode(), hashlib.sha256).digest())


def issue(secret: bytes, psn_no: str, now: datetime, ttl_seconds: int, nonce: str | None = None) -> str:
    """A signed token for `psn_no`, valid for ttl_seconds from `now`."""
    body = {"p": psn_no, "e": int(now.timestamp()) + ttl_seconds, "n": nonce or secrets.token_urlsafe(12)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{PREFIX}.{payload}.{_sign(secret, payload)}"


def verify(secret: bytes, token: str, now: datetime) -> VoucherClaims:
    """The token's claims, or TokenError (malformed, forged, expired)."""
    parts = (token or "").split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenError("malformed")
    if not hmac.compare_digest(_sign(secret, parts[1]), parts[2]):
        raise TokenError("forged")
    try:
        body = json.loads(_unb64(parts[1]))
        claims = VoucherClaims(str(body["p"]), datetime.fromtimestamp(int(body["e"]), UTC), str(body["n"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if claims.expires_at <= now:
        raise TokenError("expired")
    return claims


def seal(secret: bytes, content: dict) -> str:
    """A signed, tamper-evident copy of `content` (the mobile channel's payToken)."""
    payload = _b64(json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    return f"pt1.{payload}.{_sign(secret, payload)}"


def unseal(secret: bytes, sealed: str) -> dict:
    """The content of a sealed token, or TokenError (malformed, forged)."""
    parts = (sealed or "").split(".")
    if len(parts) != 3 or parts[0] != "pt1":
        raise TokenError("malformed")
    if not hmac.compare_digest(_sign(secret, parts[1]), parts[2]):
        raise TokenError("forged")
    try:
        return json.loads(_unb64(parts[1]))
    except ValueError:
        raise TokenError("malformed") from None
