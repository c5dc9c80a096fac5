"""Offline ticket validations per second (WAL-2): ``domain.tickets.verify_payload`` in process,
as an offline validator runs it (format, key id, Ed25519 signature, window, revocation list of
1,000 ids), against a bare Ed25519 verify of the same 53 bytes (the floor: the signature check
alone). Single thread, CPU time (``time.process_time``). Run: ``python -m bench tickets``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain.tickets import BODY_BYTES, encode_payload, key_id, payload_body, public_keys, verify_payload

CODES = 2_000  # distinct payloads, verified round-robin
SECONDS = 2.0  # per measurement
REVOKED = 1_000  # size of the downloaded revocation list


def _payloads(private: Ed25519PrivateKey, now: datetime) -> tuple[list[str], str]:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    codes = []
    for _ in range(CODES):
        body = payload_body(
            key=key_id(raw),
            ticket_id=uuid.uuid4().hex,
            product_id=uuid.uuid4().hex,
            not_before=now - timedelta(minutes=5),
            not_after=now + timedelta(hours=1),
            nonce=os.urandom(8),
        )
        codes.append(encode_payload(body, private.sign(body)))
    return codes, key_id(raw)


def _rate(call: Callable[[int], None]) -> float:
    """Calls per CPU second of ``call(i)`` over about SECONDS."""
    done = 0
    started = time.process_time()
    while (elapsed := time.process_time() - started) < SECONDS:
        for i in range(500):
            call(i)
        done += 500
    return done / elapsed


def main() -> None:
    import base64

    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    private = Ed25519PrivateKey.generate()
    codes, kid = _payloads(private, now)
    keys = public_keys(
        {kid: private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)}
    )
    revoked = frozenset(uuid.uuid4().hex for _ in range(REVOKED))
    assert all(verify_payload(code, keys, now, revoked).accepted for code in codes[:10])
    raws = [base64.urlsafe_b64decode(code) for code in codes]
    public = keys[kid]

    def full(i: int) -> None:
        verify_payload(codes[i % CODES], keys, now, revoked)

    def bare(i: int) -> None:
        raw = raws[i % CODES]
        public.verify(raw[BODY_BYTES:], raw[:BODY_BYTES])

    full_rate = _rate(full)
    bare_rate = _rate(bare)
    print(
        f"offline validations: {full_rate:,.0f}/s per core (verify_payload: format, key, signature, window, revocation)"
    )
    print(f"bare Ed25519 verify: {bare_rate:,.0f}/s per core")
    print(f"ratio verify_payload / bare verify: {full_rate / bare_rate:.2f} (1.00 = the signature is all the cost)")


if __name__ == "__main__":
    main()
