"""Field encryption and keyed hashes for sensitive personal information (resident ID numbers).

The ID number is stored encrypted (Fernet: AES-128-CBC + HMAC) under a key derived from
DATA_KEY, and looked up through an HMAC-SHA256 of the normalised number, so the database alone
reveals neither the numbers nor which ones exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from flask import current_app


def _derive(purpose: bytes) -> bytes:
    key = current_app.config["DATA_KEY"].encode()
    return hmac.new(key, purpose, hashlib.sha256).digest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"field-encryption")))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def encrypt_bytes(plain: bytes) -> bytes:
    return _fernet().encrypt(plain)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def keyed_hash(value: str) -> str:
    """A stable, keyed fingerprint for lookups and uniqueness (not reversible without DATA_KEY)."""
    return hmac.new(_derive(b"lookup-hash"), value.upper().encode(), hashlib.sha256).hexdigest()
