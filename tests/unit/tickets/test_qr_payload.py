"""The signed QR payload (WAL-2): its layout, and what an offline validator refuses."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain import tickets
from chalicelib.domain.tickets import Refusal, encode_payload, key_id, payload_body, public_keys, verify_payload

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _signed(private: Ed25519PrivateKey, *, start: datetime = NOW, minutes: int = 90) -> tuple[str, str, str]:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ticket_id = uuid.uuid4().hex
    body = payload_body(
        key=key_id(raw),
        ticket_id=ticket_id,
        product_id=uuid.uuid4().hex,
        not_before=start,
        not_after=start + timedelta(minutes=minutes),
        nonce=os.urandom(8),
    )
    return encode_payload(body, private.sign(body)), ticket_id, key_id(raw)


def _keys(*privates: Ed25519PrivateKey) -> dict:
    raws = [p.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) for p in privates]
    return public_keys({key_id(raw): raw for raw in raws})


def test_the_payload_is_117_bytes_as_156_base64url_characters_and_says_what_it_signs():
    # proves: WAL-2
    # Given a payload signed for a 90-minute ticket
    private = Ed25519PrivateKey.generate()
    text, ticket_id, kid = _signed(private)
    # Then it has the documented size and alphabet
    assert len(text) == tickets.PAYLOAD_CHARS == 156
    assert len(base64.urlsafe_b64decode(text)) == tickets.PAYLOAD_BYTES == 117
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # And a validator holding the key reads back ticket, key id and window
    verdict = verify_payload(text, _keys(private), NOW + timedelta(minutes=1))
    assert verdict.accepted and verdict.claims is not None
    assert (verdict.claims.ticket_id, verdict.claims.key_id) == (ticket_id, kid)
    assert verdict.claims.not_after - verdict.claims.not_before == timedelta(minutes=90)


def test_every_one_byte_change_is_refused():
    # proves: WAL-2
    private = Ed25519PrivateKey.generate()
    text, _, _ = _signed(private)
    raw = base64.urlsafe_b64decode(text)
    keys = _keys(private)
    for position in range(len(raw)):
        for flip in (0x01, 0x80):
            changed = bytearray(raw)
            changed[position] ^= flip
            forged = base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode()
            assert not verify_payload(forged, keys, NOW).accepted, (position, flip)


def test_expired_not_yet_valid_unknown_key_revoked_and_malformed_codes_are_refused():
    # proves: WAL-2
    private, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text, ticket_id, _ = _signed(private, minutes=30)
    keys = _keys(private)
    assert verify_payload(text, keys, NOW + timedelta(minutes=30)).refusal == Refusal.EXPIRED  # the end is exclusive
    assert verify_payload(text, keys, NOW - timedelta(seconds=1)).refusal == Refusal.NOT_YET_VALID
    assert verify_payload(text, _keys(other), NOW).refusal == Refusal.UNKNOWN_KEY
    assert verify_payload(text, keys, NOW, {ticket_id}).refusal == Refusal.REVOKED
    for bad in ("", "x" * 156, text[:-1], text + "A", text[:-1] + "=", "é" * 156):
        assert verify_payload(bad, keys, NOW).refusal == Refusal.MALFORMED, bad
    # And a key rotation keeps old codes valid while the old key is still published
    assert verify_payload(text, _keys(other, private), NOW).accepted


def test_a_signature_by_another_key_with_the_same_key_id_is_refused():
    # proves: WAL-2
    # Given a payload naming key A's id but signed by key B
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text, _, _ = _signed(a)
    raw = base64.urlsafe_b64decode(text)
    forged = encode_payload(raw[:53], b.sign(raw[:53]))
    # Then a validator holding A refuses it
    assert verify_payload(forged, _keys(a), NOW).refusal == Refusal.BAD_SIGNATURE


def test_the_documents_bucket_moves_passive_records_to_an_archive_storage_class():
    # proves: RET-8
    from infra.template import _lifecycle

    rules = {rule["Id"]: rule for rule in _lifecycle("documents")}
    assert rules["passive-archive"]["Prefix"] == "passive/"
    assert rules["passive-archive"]["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 1}]
