"""infra.local.bootstrap: the one resource builder for `make run` and the tests."""

import json
import uuid
from pathlib import Path

import pytest

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


@pytest.mark.ddblocal
def test_an_existing_main_table_without_a_stream_gets_it_once(aws):
    # Given a main table made before it had a stream (local data survives restarts, so the
    # table can be older than its definition)
    settings = get_settings()
    dynamodb = client("dynamodb")
    name = settings.resolved_table_name()
    dynamodb.delete_table(TableName=name)
    dynamodb.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    old = {k: v for k, v in resources.create_table_kwargs(name).items() if k != "StreamSpecification"}
    dynamodb.create_table(**old)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    assert not dynamodb.describe_table(TableName=name)["Table"].get("StreamSpecification", {}).get("StreamEnabled")
    # When the bootstrap runs, as `make run` does at every start
    bootstrap.create_resources()
    # Then the table has the defined stream and is ready
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": resources.TABLE_STREAM_VIEW_TYPE}
    assert table["TableStatus"] == "ACTIVE"
    stream_arn = table["LatestStreamArn"]
    # When it runs again, Then nothing changes: the same stream, no error
    bootstrap.create_resources()
    assert dynamodb.describe_table(TableName=name)["Table"]["LatestStreamArn"] == stream_arn


def test_a_new_main_table_is_created_with_its_stream(aws):
    # Given the aws fixture created the resources from nothing
    # When the main table is described
    table = client("dynamodb").describe_table(TableName=get_settings().resolved_table_name())["Table"]
    # Then it has the stream the outbox relay reads
    assert table["StreamSpecification"]["StreamViewType"] == resources.TABLE_STREAM_VIEW_TYPE


def files_holding(directory: Path, needle: bytes) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes())


@pytest.mark.ddblocal  # needs the JVM, as the DynamoDB Local tier does
def test_a_deleted_item_leaves_no_bytes_in_the_local_data_files_after_compaction(tmp_path: Path):
    import boto3

    from infra.local import dynamodb

    # Given DynamoDB Local on disk, as `make run` keeps it, holding an item with personal data
    port = dynamodb.free_port()
    data_dir = tmp_path / "dynamodb"
    process = dynamodb.start(port, data_dir)
    canary = f"Canary Erasmus {uuid.uuid4().hex} +4915199887766 canary@example.org".encode()
    try:
        dynamodb.wait_ready(f"http://127.0.0.1:{port}", process)
        ddb = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="eu-central-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        name = "t-compact-main"
        ddb.create_table(**resources.create_table_kwargs(name))
        key = {"pk": {"S": "USER#canary"}, "sk": {"S": "PROFILE"}}
        ddb.put_item(TableName=name, Item={**key, "note": {"S": canary.decode()}})
        # When the item is deleted (an erasure) and DynamoDB Local stops
        ddb.delete_item(TableName=name, Key=key)
        assert "Item" not in ddb.get_item(TableName=name, Key=key)
    finally:
        dynamodb.stop(process)
    # Then the freed page still held the canary (so this test can fail) ...
    assert files_holding(data_dir, canary), "the canary never reached the data file"
    # ... and after the stack's compaction no file in the data dir holds it
    assert dynamodb.compact(data_dir) == dynamodb.data_files(data_dir) != []
    assert files_holding(data_dir, canary) == []
    # And the compacted file is still a working database: the table is there, empty
    process = dynamodb.start(port, data_dir)
    try:
        dynamodb.wait_ready(f"http://127.0.0.1:{port}", process)
        assert ddb.scan(TableName=name)["Items"] == []
    finally:
        dynamodb.stop(process)


def test_the_local_stack_s_push_applications_let_a_device_register_and_receive_a_push(
    api, signup, monkeypatch: pytest.MonkeyPatch
):
    from chalicelib.notify.channels import push
    from chalicelib.notify.channels.base import Outgoing
    from chalicelib.notify.templates import Rendered
    from infra.local import outbox
    from tests.support import stack

    # Given a signed-in user, and the app configured as `make run` configures it: the SNS
    # platform applications the bootstrap creates, named by the environment it exports
    user = signup()
    assert api.post("/v1/me/devices", {"platform": "apns", "token": "a" * 64}, headers=user.headers).status == 503
    arns = bootstrap.create_push_applications(get_settings())
    assert bootstrap.create_push_applications(get_settings()) == arns  # a second start reuses them
    applications = client("sns").list_platform_applications()["PlatformApplications"]
    assert sorted(a["PlatformApplicationArn"] for a in applications) == sorted(arns.values())
    for name, value in bootstrap.push_environment(arns).items():
        monkeypatch.setenv(name, value)
    stack.reconfigure()
    # When a device of each platform registers
    for platform, token in (("apns", "a" * 64), ("fcm", "f" * 40)):
        registered = api.post("/v1/me/devices", {"platform": platform, "token": token}, headers=user.headers)
        # Then it is accepted, with an endpoint under that platform's application
        assert registered.status == 201, registered.json
        endpoints = client("sns").list_endpoints_by_platform_application(PlatformApplicationArn=arns[platform])
        assert len(endpoints["Endpoints"]) == 1
    # And a push to it shows in the local outbox with its title and text
    endpoint_arn = endpoints["Endpoints"][0]["EndpointArn"]
    push.PushSender().send(endpoint_arn, Outgoing(Rendered("Reminder", "Haircut tomorrow 10:00", "en"), None))
    sent = [e for e in outbox.OutboxRecorder().observe() if e.channel == "push"]
    assert [(e.to, e.subject, e.body) for e in sent] == [(endpoint_arn, "Reminder", "Haircut tomorrow 10:00")]
