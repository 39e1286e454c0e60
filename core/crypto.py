"""Field encryption and keyed hashes for sensitive personal information (resident ID numbers).

The ID number is stored encrypted (Fernet: AES-128-CBC + HMAC) under a key derived from
DATA_KEY, and looked up through an HMAC-SHA256 of the normalised number, so the database alone
reveals neither the numbers nor which ones exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from flask import current_app


def _derive(purpose: bytes) -> bytes:
    return _derived(current_app.config["DATA_KEY"], purpose)


@lru_cache(maxsize=8)
def _derived(data_key: str, purpose: bytes) -> bytes:
    """A purpose's key, derived once per DATA_KEY (an app's key does not change while it runs;
    tests run apps with different keys side by side)."""
    return hmac.new(data_key.encode(), purpose, hashlib.sha256).digest()


def _fernet() -> Fernet:
    return _fernet_for(current_app.config["DATA_KEY"])


@lru_cache(maxsize=8)
def _fernet_for(data_key: str) -> Fernet:
    """Fernet for a DATA_KEY, made once: it decodes and splits its key when made, and a payment
    decrypts the patient's ID number on every order. (A Fernet keeps no state between calls.)"""
    return Fernet(base64.urlsafe_b64encode(_derived(data_key, b"field-encryption")))


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
