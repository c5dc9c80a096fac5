"""Create the app's AWS resources from chalicelib.resources, idempotently.

The one implementation used by `make run` (DynamoDB Local + moto server) and by the test
fixtures (moto in-process, optionally DynamoDB Local): tables (an existing table gets the
stream its definition names), queues with their DLQs and redrive policy, buckets, and the
SES sender identity; for `make run` also the SNS platform applications mobile push needs
(create_push_applications). Running it twice changes nothing.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from chalicelib import resources
from chalicelib.aws_clients import client
from chalicelib.settings import Settings, get_settings

# Used when settings name no sender: SES refuses mail from unverified identities.
DEFAULT_EMAIL_SENDER = "no-reply@booking.local"


def create_resources(*, with_buckets: bool = True, with_ses: bool = True) -> None:
    """Everything the app needs in the account the current settings point at."""
    settings = get_settings()
    create_tables(settings)
    create_queues(settings)
    if with_buckets:
        create_buckets(settings)
    if with_ses:
        verify_email_sender(settings)


def create_tables(settings: Settings) -> None:
    dynamodb = client("dynamodb")
    existing = set(dynamodb.list_tables()["TableNames"])  # a few tables: one page is enough
    for kwargs in (resources.create_table_kwargs(settings.resolved_table_name()),):
        if kwargs["TableName"] not in existing:
            dynamodb.create_table(**kwargs)
        else:  # local data survives restarts: a table made before the stream existed gets it now
            ensure_stream(dynamodb, kwargs)
        dynamodb.get_waiter("table_exists").wait(TableName=kwargs["TableName"], WaiterConfig={"Delay": 1})


def ensure_stream(dynamodb: Any, kwargs: dict[str, Any]) -> bool:
    """Enable the stream a table's definition names on an existing table without one; True
    when it did. An enabled stream of another view type is left alone: every view type
    carries the keys, and keys are all the outbox relay reads."""
    wanted = kwargs.get("StreamSpecification")
    if not wanted:
        return False
    table = dynamodb.describe_table(TableName=kwargs["TableName"])["Table"]
    if (table.get("StreamSpecification") or {}).get("StreamEnabled"):
        return False
    dynamodb.update_table(TableName=kwargs["TableName"], StreamSpecification=wanted)
    return True


def create_queues(settings: Settings) -> dict[str, str]:
    """Each queue with its DLQ; returns logical name -> queue URL."""
    sqs = client("sqs")
    urls: dict[str, str] = {}
    for spec in resources.QUEUES:
        dlq_url = sqs.create_queue(
            QueueName=resources.dlq_name(settings.stage, spec.logical_name),
            Attributes={"MessageRetentionPeriod": str(resources.dlq_retention_seconds())},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        name = resources.queue_name(settings.stage, spec.logical_name)
        attributes = redrive_attributes(spec, dlq_arn)
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.QueueNameExists:
            # Same name, other attributes (definitions changed): bring it up to date.
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        urls[spec.logical_name] = str(url)
    return urls


def redrive_attributes(spec: resources.QueueSpec, dlq_arn: str) -> dict[str, Any]:
    return {
        "VisibilityTimeout": str(spec.visibility_timeout_seconds),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
    }


def create_buckets(settings: Settings) -> None:
    s3 = client("s3")
    for logical_name in resources.BUCKETS:
        name = resources.bucket_name(settings.stage, logical_name)
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": settings.region})


def email_sender(settings: Settings) -> str:
    return str(getattr(settings, "email_sender", None) or DEFAULT_EMAIL_SENDER)


def verify_email_sender(settings: Settings) -> None:
    """Locally SES (moto) must know the sender, as a verified identity does in AWS."""
    client("ses").verify_email_identity(EmailAddress=email_sender(settings))


# Our platform name -> SNS's; deployed, these applications hold the APNs/FCM credentials.
PUSH_PLATFORMS = {"apns": "APNS", "fcm": "GCM"}


def create_push_applications(settings: Settings) -> dict[str, str]:
    """One SNS platform application per push platform (moto accepts them without
    credentials); returns platform -> application ARN. An existing one is reused."""
    sns = client("sns")
    existing = {
        str(app["PlatformApplicationArn"]).rsplit("/", 1)[-1]: str(app["PlatformApplicationArn"])
        for page in sns.get_paginator("list_platform_applications").paginate()
        for app in page["PlatformApplications"]
    }
    arns: dict[str, str] = {}
    for platform, sns_platform in PUSH_PLATFORMS.items():
        name = f"booking-{settings.stage}-{platform}"
        arns[platform] = existing.get(name) or str(
            sns.create_platform_application(Name=name, Platform=sns_platform, Attributes={})["PlatformApplicationArn"]
        )
    return arns


def push_environment(arns: dict[str, str]) -> dict[str, str]:
    """The settings (chalicelib.settings) that point the app at those applications."""
    return {f"BOOKING_PUSH_{platform.upper()}_APPLICATION_ARN": arn for platform, arn in arns.items()}
