"""Documents in the S3 buckets (chalicelib.resources.BUCKETS): JSON written with SSE-KMS.

The privacy engine's objects outside the table: the erasure log, built exports and
passive (archived) records. Buckets are named by their logical name; the stage's real
name comes from chalicelib.resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from chalicelib.aws_clients import client


def bucket_name(logical: str) -> str:
    from chalicelib import resources
    from chalicelib.settings import get_settings

    return resources.bucket_name(get_settings().stage, logical)


def put_json(
    logical: str, key: str, document: Any, *, sort_keys: bool = False, content_type: str | None = None
) -> None:
    """One PutObject of ``document`` as JSON, encrypted with the KMS key."""
    extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
    client("s3").put_object(
        Bucket=bucket_name(logical),
        Key=key,
        Body=json.dumps(document, sort_keys=sort_keys).encode(),
        ServerSideEncryption="aws:kms",
        **extra,
    )


def put_bytes(logical: str, key: str, data: bytes, *, content_type: str) -> None:
    """One PutObject of a file the app itself uploads (operator tooling), encrypted with the KMS key."""
    client("s3").put_object(
        Bucket=bucket_name(logical), Key=key, Body=data, ContentType=content_type, ServerSideEncryption="aws:kms"
    )


def keys_under(logical: str, prefix: str) -> Iterator[str]:
    """Every object key under ``prefix`` (ListObjectsV2, page after page)."""
    pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket_name(logical), Prefix=prefix)
    for page in pages:
        for entry in page.get("Contents", []):
            yield str(entry["Key"])


def read_json(logical: str, key: str) -> Any:
    return json.loads(client("s3").get_object(Bucket=bucket_name(logical), Key=key)["Body"].read())


def delete_under(logical: str, prefix: str) -> None:
    """Delete every object under ``prefix`` (one DeleteObjects per listed page)."""
    s3 = client("s3")
    bucket = bucket_name(logical)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})


def download_link(logical: str, key: str, lifetime_seconds: int) -> str:
    """A presigned GET of one object that expires after ``lifetime_seconds``."""
    url = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket_name(logical), "Key": key}, ExpiresIn=lifetime_seconds
    )
    return str(url)


# --- uploads by the client (support attachments, travel documents) ---------------------------
# The client posts the file straight to S3 with a presigned POST; the policy, not our code,
# enforces the size range and the content type, and the object is encrypted with the KMS key.
# The app registers the object only after ``object_info`` shows it exists and matches.


def upload_form(
    logical: str,
    key: str,
    *,
    content_type: str,
    max_bytes: int,
    lifetime_seconds: int,
    min_bytes: int = 1,
) -> dict[str, Any]:
    """A presigned POST for exactly ``key``: ``{"url": ..., "fields": {...}}``. S3 refuses a
    body outside [min_bytes, max_bytes] or with another Content-Type (one call, no network:
    signing is local)."""
    fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "aws:kms"}
    conditions: list[Any] = [
        {"Content-Type": content_type},
        {"x-amz-server-side-encryption": "aws:kms"},
        ["content-length-range", min_bytes, max_bytes],
    ]
    form = client("s3").generate_presigned_post(
        Bucket=bucket_name(logical), Key=key, Fields=fields, Conditions=conditions, ExpiresIn=lifetime_seconds
    )
    return {"url": str(form["url"]), "fields": {str(k): str(v) for k, v in form["fields"].items()}}


class ObjectInfo:
    """What HeadObject says of an uploaded object."""

    __slots__ = ("content_type", "size")

    def __init__(self, size: int, content_type: str) -> None:
        self.size = size
        self.content_type = content_type


def object_info(logical: str, key: str) -> ObjectInfo | None:
    """One HeadObject; None when there is no such object."""
    from botocore.exceptions import ClientError

    try:
        head = client("s3").head_object(Bucket=bucket_name(logical), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return ObjectInfo(int(head["ContentLength"]), str(head.get("ContentType", "")))


def delete(logical: str, key: str) -> None:
    """One DeleteObject (no error when it is already gone)."""
    client("s3").delete_object(Bucket=bucket_name(logical), Key=key)
