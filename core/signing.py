"""Electronic signatures: Ed25519 over canonical JSON, one key pair per signer.

The private key is stored encrypted under DATA_KEY; anyone can verify with the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.sql.selectable import ScalarSelect

from core import crypto
from core.extensions import db
from core.models import SigningKey

# Verdicts of signatures already checked in this process, keyed by exactly the bytes verified
# (public key, SHA-256 of the signed message, signature): a pure function of its key, so a row
# changed in the database yields another key and is verified anew. Bounded, oldest forgotten first.
VERDICTS_KEPT = 4096
_verdicts: dict[tuple[str, bytes, str], bool] = {}
_verdicts_lock = threading.Lock()


def canonical(content: dict) -> bytes:
    """The canonical bytes of a document: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(content: dict) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def ensure_key(user_id: int) -> SigningKey:
    """The user's key pair, created on first use (caller commits)."""
    key = db.session.execute(db.select(SigningKey).filter_by(user_id=user_id)).scalar_one_or_none()
    if key is None:
        private = Ed25519PrivateKey.generate()
        raw_private = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key = SigningKey(user_id=user_id, public_key=raw_public, private_key_enc=crypto.encrypt_bytes(raw_private))
        db.session.add(key)
        db.session.flush()
    return key


def sign(user_id: int, content: dict) -> str:
    """Sign the canonical content with the user's private key; base64 signature."""
    key = ensure_key(user_id)
    private = Ed25519PrivateKey.from_private_bytes(crypto.decrypt_bytes(key.private_key_enc))
    return base64.b64encode(private.sign(canonical(content))).decode()


def public_key_b64(user_id: int) -> str:
    return base64.b64encode(ensure_key(user_id).public_key).decode()


def current_key_of(user_id_column) -> ScalarSelect:
    """The signer's current public key (raw) as a column of another statement: the integrity
    check reads the signatures and their signers' keys together, not one statement per key."""
    return db.select(SigningKey.public_key).where(SigningKey.user_id == user_id_column).scalar_subquery()


def is_current_key(public_key_b64_value: str, current_raw: bytes | None) -> bool:
    """The key a signature names is its signer's key today (none, or another one, does not hold)."""
    return current_raw is not None and base64.b64encode(current_raw).decode() == public_key_b64_value


def verify(public_key_b64_value: str, content: dict, signature_b64: str) -> bool:
    """True when the signature is the key holder's over exactly this content."""
    message = canonical(content)
    key = (public_key_b64_value, hashlib.sha256(message).digest(), signature_b64)
    verdict = _verdicts.get(key)
    if verdict is None:
        verdict = _verify_message(public_key_b64_value, message, signature_b64)
        _remember(key, verdict)
    return verdict


def _verify_message(public_key_b64_value: str, message: bytes, signature_b64: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64_value))
        public.verify(base64.b64decode(signature_b64), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def _remember(key: tuple[str, bytes, str], verdict: bool) -> None:
    with _verdicts_lock:
        while len(_verdicts) >= VERDICTS_KEPT:
            del _verdicts[next(iter(_verdicts))]
        _verdicts[key] = verdict


def forget_verdicts() -> None:
    """Tests: start from a process that has verified nothing."""
    with _verdicts_lock:
        _verdicts.clear()
