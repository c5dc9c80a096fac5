"""The deployed signer (security/ticket_keys.py KmsSigner) against KMS's own request and answer
shapes, through botocore's Stubber: moto cannot create an ECC_NIST_EDWARDS25519 key, and the
point is what we send KMS and what we do with what it returns. KMS's Ed25519 signature is a
standard one (RFC 8032), so a local key stands in for the one inside KMS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.domain import tickets
from chalicelib.security import ticket_keys

KEY_ARN = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> tuple[Stubber, Ed25519PrivateKey]:
    inside_kms = Ed25519PrivateKey.generate()
    client = boto3.client("kms", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    der = inside_kms.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stubber.add_response("get_public_key", {"PublicKey": der, "KeySpec": "ECC_NIST_EDWARDS25519"}, {"KeyId": KEY_ARN})
    monkeypatch.setattr("chalicelib.aws_clients.client", lambda service, **_: client)
    return stubber, inside_kms


def test_a_payload_signed_by_kms_verifies_offline_with_the_published_key(kms: tuple[Stubber, Any]) -> None:
    # proves: WAL-2
    stubber, inside_kms = kms
    signer = ticket_keys.KmsSigner(KEY_ARN)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with stubber:
        # Given the key id the validators are told (from KMS's public key, one GetPublicKey)
        key = signer.key_id()
        body = tickets.payload_body(
            key=key,
            ticket_id=uuid.uuid4().hex,
            product_id=uuid.uuid4().hex,
            not_before=now,
            not_after=now + timedelta(hours=2),
            nonce=b"\x01" * 8,
        )
        # When the ticket is signed: one Sign of the raw 53 bytes with pure Ed25519
        stubber.add_response(
            "sign",
            {"Signature": inside_kms.sign(body), "KeyId": KEY_ARN, "SigningAlgorithm": "ED25519_SHA_512"},
            {"KeyId": KEY_ARN, "Message": body, "MessageType": "RAW", "SigningAlgorithm": "ED25519_SHA_512"},
        )
        payload = tickets.encode_payload(body, signer.sign(body))
        stubber.assert_no_pending_responses()
    # Then an offline validator holding only the published public key accepts it
    public = Ed25519PrivateKey.from_private_bytes(b"\x00" * 32).public_key()  # a wrong key first
    assert not tickets.verify_payload(payload, {key: public}, now + timedelta(minutes=5)).accepted
    published = inside_kms.public_key()
    assert tickets.verify_payload(payload, {key: published}, now + timedelta(minutes=5)).accepted
    assert signer.public_key() == published.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
