"""Electronic signatures: Ed25519 over canonical JSON, one key pair per signer.

The private key is stored encrypted under DATA_KEY; anyone can verify with the public key.
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core import crypto
from core.extensions import db
from core.models import SigningKey


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


def verify(public_key_b64_value: str, content: dict, signature_b64: str) -> bool:
    """True when the signature is the key holder's over exactly this content."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64_value))
        public.verify(base64.b64decode(signature_b64), canonical(content))
        return True
    except (InvalidSignature, ValueError):
        return False
