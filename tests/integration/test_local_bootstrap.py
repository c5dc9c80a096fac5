"""infra.local.bootstrap: the one resource builder for `make run` and the tests."""

import json

from chalicelib import resources
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings
from infra.local import bootstrap


def test_bootstrap_is_idempotent_and_wires_each_dlq(aws):
    # Given the resources already exist (the aws fixture ran the bootstrap once)
    settings = get_settings()
    # When the bootstrap runs again, as a second `make run` does
    bootstrap.create_resources()
    # Then every queue still has exactly its DLQ with the defined maxReceiveCount
    sqs = client("sqs")
    for spec in resources.QUEUES:
        url = sqs.get_queue_url(QueueName=resources.queue_name(settings.stage, spec.logical_name))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        policy = json.loads(attributes["RedrivePolicy"])
        assert policy["deadLetterTargetArn"].endswith(resources.dlq_name(settings.stage, spec.logical_name))
        assert int(policy["maxReceiveCount"]) == spec.max_receive_count
        assert attributes["VisibilityTimeout"] == str(spec.visibility_timeout_seconds)
    # And the buckets and the verified SES sender exist once
    buckets = {b["Name"] for b in client("s3").list_buckets()["Buckets"]}
    assert {resources.bucket_name(settings.stage, name) for name in resources.BUCKETS} <= buckets
    identities = client("ses").list_identities(IdentityType="EmailAddress")["Identities"]
    assert identities.count(bootstrap.email_sender(settings)) == 1
    tables = client("dynamodb").list_tables()["TableNames"]
    assert tables.count(settings.resolved_table_name()) == 1
