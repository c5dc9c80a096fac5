"""Client uploads (chalicelib/store/objects.py): the presigned POST's signed policy carries the
size range, the content type and KMS encryption, and HeadObject tells what really arrived.

moto accepts any POST body regardless of the policy (S3 itself enforces it), so what is tested
here is the signed policy document; callers re-check the object with ``object_info`` before
registering it, which is what a test against moto can exercise end to end."""

from __future__ import annotations

import base64
import json

import requests

from chalicelib.store import objects


def _policy(form: dict[str, object]) -> dict[str, object]:
    fields = form["fields"]
    assert isinstance(fields, dict)
    decoded: dict[str, object] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_the_signed_policy_bounds_size_and_type_and_demands_kms(aws):
    # When a form is made for one key
    form = objects.upload_form(
        "documents", "uploads/t1/a.pdf", content_type="application/pdf", max_bytes=1000, lifetime_seconds=300
    )
    # Then S3 would refuse anything outside these conditions
    conditions = _policy(form)["conditions"]
    assert ["content-length-range", 1, 1000] in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"key": "uploads/t1/a.pdf"} in conditions
    assert form["fields"]["Content-Type"] == "application/pdf"


def test_object_info_tells_what_arrived_and_none_for_nothing(aws):
    # Given nothing uploaded yet
    assert objects.object_info("documents", "uploads/t2/a.pdf") is None
    # When the client posts the form
    form = objects.upload_form(
        "documents", "uploads/t2/a.pdf", content_type="application/pdf", max_bytes=1000, lifetime_seconds=300
    )
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", b"%PDF-1.7 x")}, timeout=10)
    assert posted.status_code in (200, 201, 204)
    # Then HeadObject reports its size and type, and delete removes it
    info = objects.object_info("documents", "uploads/t2/a.pdf")
    assert info is not None and info.size == 10 and info.content_type == "application/pdf"
    objects.delete("documents", "uploads/t2/a.pdf")
    assert objects.object_info("documents", "uploads/t2/a.pdf") is None
