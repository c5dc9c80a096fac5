"""The key that signs QR tickets (WAL-2): Ed25519, one ``Signer`` interface, two keepers.

- Deployed (``ticket_signing_kms_key_id`` set): a KMS asymmetric key, key spec
  ``ECC_NIST_EDWARDS25519``, signing algorithm ``ED25519_SHA_512`` over the raw message. The
  private key never leaves KMS; the public key is read once per process (GetPublicKey).
  botocore knows the key spec; moto 5.2 does not (CreateKey refuses it), so the KMS signer is
  not exercised by the tests: they use the local one, behind the same interface.
- Local and test stages: a PEM key file (``ticket_signing_key_file``, default
  ``$LOCAL_DATA_DIR/ticket-signing-key.pem``, i.e. .local/data, never committed), generated on
  first use. A deployed stage without a KMS key refuses to sign rather than make up a key.

Verification keys (``/v1/tickets/keys``) are the signer's own plus ``ticket_retired_public_keys``
(raw keys, base64url, of keys rotated out whose tickets may still be valid).
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.tickets import key_id
from chalicelib.settings import LOCAL_STAGES, get_settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALGORITHM = "Ed25519"


class Signer(Protocol):
    def key_id(self) -> str:
        """The id payloads carry (chalicelib.domain.tickets.key_id of the public key)."""
        ...

    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature of ``message``."""
        ...


class LocalFileSigner:
    """A key in a PEM file, created (mode 0600) when absent."""

    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self._key = self._load_or_create(path)

    @classmethod
    def _load_or_create(cls, path: Path) -> Ed25519PrivateKey:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        with cls._lock:
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                pem = Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
                # O_EXCL: two processes starting together keep one key, not one each.
                try:
                    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    pass
                else:
                    with os.fdopen(descriptor, "wb") as out:
                        out.write(pem)
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError(f"{path} is not an Ed25519 private key")
        return key

    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def key_id(self) -> str:
        return key_id(self.public_key())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


@dataclass
class KmsSigner:
    """A KMS key of spec ECC_NIST_EDWARDS25519 (SIGN_VERIFY). One Sign call per ticket."""

    kms_key_id: str
    _public: bytes | None = None

    def public_key(self) -> bytes:
        if self._public is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

            from chalicelib.aws_clients import client

            der = client("kms").get_public_key(KeyId=self.kms_key_id)["PublicKey"]
            key = serialization.load_der_public_key(der)
            if not isinstance(key, Ed25519PublicKey):
                raise RuntimeError("the ticket signing KMS key is not Ed25519")
            self._public = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return self._public

    def key_id(self) -> str:
        return key_id(self.public_key())

    def sign(self, message: bytes) -> bytes:
        from chalicelib.aws_clients import client

        answer = client("kms").sign(
            KeyId=self.kms_key_id, Message=message, MessageType="RAW", SigningAlgorithm="ED25519_SHA_512"
        )
        return bytes(answer["Signature"])


def key_file() -> Path:
    configured = get_settings().ticket_signing_key_file
    if configured:
        return Path(configured)
    return Path(os.environ.get("LOCAL_DATA_DIR", ".local/data")) / "ticket-signing-key.pem"


@cache
def signer() -> Signer:
    """The stage's signer (one per process)."""
    settings = get_settings()
    if settings.ticket_signing_kms_key_id:
        return KmsSigner(settings.ticket_signing_kms_key_id)
    if settings.stage not in LOCAL_STAGES:
        raise RuntimeError("a deployed stage signs tickets with KMS: set BOOKING_TICKET_SIGNING_KMS_KEY_ID")
    return LocalFileSigner(key_file())


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def verification_keys() -> dict[str, bytes]:
    """Key id -> raw public key: the current signer's and every retired one still published."""
    keys = {key_id(raw): raw for raw in (_unb64(text) for text in get_settings().ticket_retired_public_keys)}
    current = signer()
    keys[current.key_id()] = current.public_key()
    return keys
