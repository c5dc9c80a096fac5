"""The packaged CloudFormation template (`make package`): what deploys is what we promise.

Packages the real app for every deployable stage, exactly as `make package` does (no AWS
credentials; Chalice only fetches wheels), then reads the resulting sam.json.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib import resources
from infra import package as infra_package
from infra import template as infra_template

STAGES = sorted(infra_template.STAGES)
AUDIT_RETENTION_ROLE = infra_template.role_logical_id("retention_sweep")
# The audit sealers: the stream consumer and the stranded-record schedule stamp seq and hashes.
AUDIT_SEALER_ROLES = {infra_template.role_logical_id(f) for f in ("outbox_relay", "seal_stranded_audit")}
CONFIG = json.loads((infra_template.ROOT / ".chalice" / "config.json").read_text())
DATA_SERVICES = ("dynamodb", "s3", "sqs", "kms", "sns", "ses", "secretsmanager", "ssm")
# Actions AWS offers no resource-level permission for (Resource must be "*").
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sns:Publish",
    "sns:CheckIfPhoneNumberIsOptedOut",
}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = {stage: infra_package.package(stage, tmp_path_factory.mktemp(stage)) for stage in STAGES}
    yield out


@pytest.fixture(scope="module")
def templates(packaged: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stage: json.loads((path / "sam.json").read_text()) for stage, path in packaged.items()}


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == kind}


def role_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every identity policy (inline role policies and policy resources)."""
    for name, role in of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield name, statement
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, policy in of_type(template, kind).items():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def app_functions() -> list[str]:
    from app import app

    return list(infra_template.describe_app(app).functions)


@pytest.mark.parametrize("stage", STAGES)
def test_every_sqs_event_source_reports_batch_item_failures(templates: dict[str, Any], stage: str) -> None:
    # Given the packaged template of a stage whose app has SQS consumers
    functions = of_type(templates[stage], "AWS::Serverless::Function")
    sources = [
        (name, event)
        for name, function in functions.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS"
    ]
    # Then there is at least one, and every one reports item failures, so a failed record
    # is retried alone and its batch-mates are not redelivered
    assert sources, "the app has SQS consumers: none were packaged"
    for name, event in sources:
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        # and the consumer is told so (it otherwise fails the whole batch: chalicelib/consumers.py)
        variables = functions[name]["Properties"]["Environment"]["Variables"]
        assert variables[infra_template.PARTIAL_BATCH_SETTING] == "true", name
        # and the mapping waits for the queue it names
        queue_name = event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[-1]
        queue_ids = {q["Properties"]["QueueName"]: n for n, q in of_type(templates[stage], "AWS::SQS::Queue").items()}
        assert queue_ids[queue_name] in functions[name]["DependsOn"], name


@pytest.mark.parametrize("stage", STAGES)
def test_every_queue_has_a_dead_letter_queue(templates: dict[str, Any], stage: str) -> None:
    # Given every queue in the template
    queues = of_type(templates[stage], "AWS::SQS::Queue")
    dlq_ids = {n for n, q in queues.items() if "RedrivePolicy" not in q["Properties"]}
    sources = {n: q for n, q in queues.items() if n not in dlq_ids}
    # Then each of the app's queues redrives into a DLQ of this template after its spec's receive count
    assert {q["Properties"]["QueueName"] for q in sources.values()} == {
        resources.queue_name(stage, s.logical_name) for s in resources.QUEUES
    }
    for name, queue in sources.items():
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in dlq_ids, name
        spec = next(s for s in resources.QUEUES if queue["Properties"]["QueueName"].endswith(f"-{s.logical_name}"))
        assert redrive["maxReceiveCount"] == spec.max_receive_count
        assert queue["Properties"]["VisibilityTimeout"] == spec.visibility_timeout_seconds
        assert "KmsMasterKeyId" in queue["Properties"]
    # and every DLQ is watched by an alarm
    alarms = of_type(templates[stage], "AWS::CloudWatch::Alarm").values()
    watched = {
        d["Value"]["Fn::GetAtt"][0] for a in alarms for d in a["Properties"]["Dimensions"] if d["Name"] == "QueueName"
    }
    assert watched == dlq_ids


@pytest.mark.parametrize("stage", STAGES)
def test_every_log_group_keeps_logs_one_year(templates: dict[str, Any], stage: str) -> None:
    # proves: RET-5
    # Given the packaged template
    template = templates[stage]
    groups = of_type(template, "AWS::Logs::LogGroup")
    functions = of_type(template, "AWS::Serverless::Function")
    # Then every function has its own log group, and every log group expires after 365 days
    named = {g["Properties"]["LogGroupName"]["Fn::Sub"] for g in groups.values()}
    for function in functions:
        assert f"/aws/lambda/${{{function}}}" in named, function
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == infra_template.retention_days("system_logs") == 365, name
        assert "KmsKeyId" in group["Properties"], name


@pytest.mark.parametrize("stage", STAGES)
def test_no_iam_statement_grants_a_wildcard_action(templates: dict[str, Any], stage: str) -> None:
    # Given every identity-policy statement in the template
    statements = list(role_statements(templates[stage]))
    assert statements
    for owner, statement in statements:
        if statement["Effect"] != "Allow":
            continue
        actions = as_list(statement["Action"])
        # Then no action is a wildcard ("dynamodb:*", "s3:Get*", "*")
        assert not [a for a in actions if "*" in a], (owner, statement.get("Sid"))
        # and "*" resources appear only for actions AWS cannot scope to a resource
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPABLE_ACTIONS, (owner, statement.get("Sid"))
        for action in actions:
            service = action.split(":", 1)[0]
            assert "NotAction" not in statement and (service not in DATA_SERVICES or action.split(":", 1)[1]), owner


@pytest.mark.parametrize("stage", STAGES)
def test_audit_records_cannot_be_changed_or_deleted_by_any_function(templates: dict[str, Any], stage: str) -> None:
    # proves: SEC-6
    # Given every role that may write the main table (IAM can match an item's partition key
    # through dynamodb:LeadingKeys, but not its attributes: "append-only" is a deny on
    # changing or removing any item whose key starts with AUDIT#; PutItem stays allowed, and
    # the store's attribute_not_exists condition plus the hash chain guard against overwrites)
    template = templates[stage]
    mutating = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    roles = {name for name, s in role_statements(template) if s["Effect"] == "Allow" and "Action" in s}
    assert roles
    for role in roles:
        statements = [s for name, s in role_statements(template) if name == role]
        writes = {
            a
            for s in statements
            if s["Effect"] == "Allow" and {"Fn::GetAtt": ["MainTable", "Arn"]} in as_list(s["Resource"])
            for a in as_list(s["Action"])
        }
        if not writes & mutating:
            continue
        # Then an explicit deny covers every item-changing action on AUDIT# partitions
        denies = [
            s
            for s in statements
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("ForAnyValue:StringLike", {}).get("dynamodb:LeadingKeys") == ["AUDIT#*"]
        ]
        assert denies, role
        denied = {a for s in denies for a in as_list(s["Action"])}
        # (only the retention sweep may delete one: the oldest, after its 5 years, moving the
        # chain's retention pointer in the same transaction: chalicelib/store/audit.remove_expired;
        # only the sealers may update one: setting seq and hashes, chalicelib/store/audit.seal)
        allowed = {"dynamodb:DeleteItem"} if role == AUDIT_RETENTION_ROLE else set()
        if role in AUDIT_SEALER_ROLES:
            allowed = {"dynamodb:UpdateItem"}
        assert mutating - allowed == denied, role
        # and no statement offers a way around it (PartiQL, scans, table-level changes)
        assert not [
            a for a in writes if a.startswith("dynamodb:PartiQL") or a in {"dynamodb:Scan", "dynamodb:DeleteTable"}
        ]


@pytest.mark.parametrize("stage", STAGES)
def test_table_is_protected_and_built_from_the_shared_definitions(templates: dict[str, Any], stage: str) -> None:
    # proves: SEC-7
    # Given the main table
    main = templates[stage]["Resources"]["MainTable"]
    properties = main["Properties"]
    # Then the key schema and GSIs (the sparse ByExpiry index included) are chalicelib.resources'
    assert properties["TableName"] == resources.table_name(stage)
    assert properties["KeySchema"] == resources.table_key_schema()
    assert properties["GlobalSecondaryIndexes"] == resources.table_global_secondary_indexes()
    assert "ByExpiry" in {i["IndexName"] for i in properties["GlobalSecondaryIndexes"]}
    # and it is recoverable, encrypted with the stack's own key, hard to delete, expiring by TTL
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": ["AppKey", "Arn"]},
    }
    assert properties["DeletionProtectionEnabled"] is True
    assert main["DeletionPolicy"] == "Retain"
    assert properties["TimeToLiveSpecification"] == {"AttributeName": resources.TTL_ATTRIBUTE, "Enabled": True}
    key = templates[stage]["Resources"]["AppKey"]["Properties"]
    assert key["EnableKeyRotation"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_buckets_block_public_access_encrypt_and_expire(templates: dict[str, Any], stage: str) -> None:
    # proves: SEC-7
    # Given the app's buckets
    template = templates[stage]
    buckets = of_type(template, "AWS::S3::Bucket")
    assert {b["Properties"]["BucketName"] for b in buckets.values()} == {
        resources.bucket_name(stage, b) for b in resources.BUCKETS
    }
    policies = {p["Properties"]["Bucket"]["Ref"]: p for p in of_type(template, "AWS::S3::BucketPolicy").values()}
    for name, bucket in buckets.items():
        properties = bucket["Properties"]
        # Then public access is blocked four ways
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, name
        assert len(properties["PublicAccessBlockConfiguration"]) == 4
        # and objects are encrypted with the stack's KMS key and only reachable over TLS
        default = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert default["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        tls = policies[name]["Properties"]["PolicyDocument"]["Statement"][0]
        assert tls["Effect"] == "Deny" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        # and deleted objects do not linger in old versions past the undo window (RET-1, RET-9)
        rules = {r["Id"]: r for r in properties["LifecycleConfiguration"]["Rules"]}
        assert rules["purge-deleted-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 30
    exports = buckets[infra_template.bucket_logical_id("exports")]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {
        "Id": "exports-expire",
        "Status": "Enabled",
        "ExpirationInDays": infra_template.exports_expire_days(),
    } in exports


@pytest.mark.parametrize("stage", STAGES)
def test_api_is_throttled_alarmed_and_answers_problems_for_unknown_routes(
    templates: dict[str, Any], stage: str
) -> None:
    # Given the REST API and its gateway responses
    template = templates[stage]
    api = template["Resources"]["RestAPI"]["Properties"]
    settings = infra_template.STAGES[stage]
    # Then every method is throttled to the stage's limits and access-logged
    method = api["MethodSettings"][0]
    assert (method["ResourcePath"], method["HttpMethod"]) == ("/*", "*")
    assert method["ThrottlingRateLimit"] == settings.throttle_rate_per_second
    assert method["ThrottlingBurstLimit"] == settings.throttle_burst
    assert method["DataTraceEnabled"] is False
    assert api["StageName"] == CONFIG["stages"][stage]["api_gateway_stage"] == infra_template.API_GATEWAY_STAGE
    # and an unknown route is a 404 problem+json, as infra/local/gateway.py answers locally
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in of_type(template, "AWS::ApiGateway::GatewayResponse").values()
    }
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert missing["StatusCode"] == "404"
    assert missing["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
    # ($context.error.messageString is substituted as a quoted JSON string by API Gateway)
    template_text = missing["ResponseTemplates"]["application/json"]
    body = json.loads(template_text.replace("$context.error.messageString", '"Missing Authentication Token"'))
    assert body["instance"] == "$context.path" and body["request_id"] == "$context.requestId"
    assert body["type"] == "/problems/not-found" and body["status"] == 404
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED"} <= set(responses)
    for response in responses.values():  # every gateway-made answer is a JSON problem document
        text = response["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"m"')
        assert json.loads(text)["type"].startswith("/problems/")
    # and 5xx, errors and throttles of every function raise alarms
    metrics = {
        (a["Properties"]["Namespace"], a["Properties"]["MetricName"], json.dumps(a["Properties"]["Dimensions"]))
        for a in of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    assert any(m[:2] == ("AWS/ApiGateway", "5XXError") for m in metrics)
    for function in of_type(template, "AWS::Serverless::Function"):
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, json.dumps([{"Name": "FunctionName", "Value": {"Ref": function}}])) in metrics


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_is_configured_explicitly(templates: dict[str, Any], stage: str) -> None:
    # Given the app's functions and the stage's Chalice config
    stage_config = CONFIG["stages"][stage]
    configured = stage_config["lambda_functions"]
    assert stage_config["autogen_policy"] is False
    assert stage_config["log_retention_in_days"] == infra_template.retention_days("system_logs")
    for function in app_functions():
        # Then each has its own least-privilege policy file, memory and timeout
        entry = configured.get(function)
        assert entry, f"add {function} to .chalice/config.json stages.{stage}.lambda_functions with a policy file"
        assert {"iam_policy_file", "lambda_memory_size", "lambda_timeout"} <= set(entry), function
        assert (infra_template.ROOT / ".chalice" / entry["iam_policy_file"]).is_file()
        if stage == "prod":
            assert entry.get("reserved_concurrency"), function
    # and a consumer finishes before its messages become visible again
    functions = of_type(templates[stage], "AWS::Serverless::Function")
    for packaged_function in functions.values():
        for event in packaged_function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[-1]
                spec = next(s for s in resources.QUEUES if resources.queue_name(stage, s.logical_name) == queue)
                assert packaged_function["Properties"]["Timeout"] <= spec.visibility_timeout_seconds


def test_secrets_come_from_the_stage_secret_never_from_defaults(templates: dict[str, Any]) -> None:
    # Given every SecretStr setting (JWT, OTP and lookup HMAC keys, Telegram token, ...)
    names = infra_template.secret_setting_names()
    assert {"jwt_secret", "otp_hmac_key", "telegram_bot_token"} <= set(names)
    for stage, template in templates.items():
        for name, function in of_type(template, "AWS::Serverless::Function").items():
            variables = function["Properties"]["Environment"]["Variables"]
            # Then each function reads it from Secrets Manager, resolved at deploy time
            for setting in names:
                reference = variables[f"BOOKING_{setting.upper()}"]
                assert reference == f"{{{{resolve:secretsmanager:booking/{stage}/app:SecretString:{setting}}}}}", name
            assert function["Properties"]["KmsKeyArn"] == {"Fn::GetAtt": ["AppKey", "Arn"]}


def test_deployment_zip_leaves_the_sdk_to_the_lambda_runtime(packaged: dict[str, Path]) -> None:
    # Given the packaged deployment zip
    with zipfile.ZipFile(packaged["dev"] / "deployment.zip") as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    # Then it holds the app and its runtime dependencies, but not boto3/botocore
    assert {"app.py", "chalicelib", "pynamodb", "pydantic"} <= tops
    assert not {t for t in tops if t.split("-", 1)[0] in infra_package.PROVIDED_BY_RUNTIME}
    # A backstop to the check above: the app with its dependencies (cryptography's wheel, for
    # sealed cursors, is the largest at about 4 MiB) is ~12 MiB; botocore alone would add ~10.
    assert (packaged["dev"] / "deployment.zip").stat().st_size < 15 * 1024 * 1024


# --- the outbox relay: the main table's stream ---------------------------------------------

RELAY = resources.OUTBOX_RELAY_FUNCTION
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}


def filter_matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, for the two forms the relay's pattern uses: a list of exact
    values or ``{"prefix": ...}`` matchers, and nested objects."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and filter_matches(p, value[k]) for k, p in pattern.items())
    return any(value.startswith(m["prefix"]) if isinstance(m, dict) else value == m for m in pattern)


def stream_record(event_name: str, partition_key: str, sort_key: str = "EVENT") -> dict[str, Any]:
    keys = {resources.TABLE_HASH_KEY: {"S": partition_key}, resources.TABLE_RANGE_KEY: {"S": sort_key}}
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": {"Keys": keys}}


def role_of(template: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = template["Resources"][infra_template.function_logical_id(function)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [s for name, s in role_statements(template) if name == role]


@pytest.mark.parametrize("stage", STAGES)
def test_main_table_streams_keys_only(templates: dict[str, Any], stage: str) -> None:
    # Given the packaged main table
    properties = templates[stage]["Resources"]["MainTable"]["Properties"]
    # Then its stream is on and carries keys only (no personal data in the stream's 24 hours),
    # in CloudFormation's form: the view type alone, no CreateTable-style StreamEnabled
    assert properties["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}
    assert resources.create_table_kwargs("x")["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"


@pytest.mark.parametrize("stage", STAGES)
def test_outbox_relay_reads_the_main_tables_stream_filtered_and_bounded(templates: dict[str, Any], stage: str) -> None:
    # Given the relay function as `chalice package` generated it, merged with our patch
    template = templates[stage]
    function = template["Resources"][infra_template.function_logical_id(RELAY)]
    events = function["Properties"]["Events"]
    # Then the patch landed on Chalice's own event (one event, Chalice's type and batch size
    # under our key), not beside it as a second, typeless one
    assert list(events) == [infra_template.dynamodb_event_logical_id(RELAY)] == ["OutboxRelayDynamodbEventSource"]
    event = events["OutboxRelayDynamodbEventSource"]
    assert event["Type"] == "DynamoDB"
    properties = event["Properties"]
    assert properties["BatchSize"] == resources.OUTBOX_RELAY_BATCH_SIZE
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    # and it reads the main table's stream, the decorator's placeholder ARN gone everywhere
    assert properties["Stream"] == {"Fn::GetAtt": ["MainTable", "StreamArn"]}
    assert resources.stream_arn_placeholder(stage) not in json.dumps(template)
    # and a failed record is retried alone (partial batch response, bisection), boundedly
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == 10
    # and the relay is told so: it reports batchItemFailures instead of failing the batch
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables[infra_template.PARTIAL_BATCH_SETTING] == "true"
    # and only new or changed outbox items, and new audit records (the sealer), invoke it
    patterns = [json.loads(f["Pattern"]) for f in properties["FilterCriteria"]["Filters"]]

    def invokes(event_name: str, partition_key: str, sort_key: str = "EVENT") -> bool:
        return any(filter_matches(p, stream_record(event_name, partition_key, sort_key)) for p in patterns)

    assert invokes("INSERT", "OUTBOX#b1:created")
    assert invokes("MODIFY", "OUTBOX#b1:created")
    assert not invokes("REMOVE", "OUTBOX#b1:created")  # the relay's own delete
    assert not invokes("INSERT", "BOOKING#b1")
    assert not invokes("INSERT", "TENANT#t1")
    assert invokes("INSERT", "AUDIT#b1#3", "REC#2026-01-01T00:00:00.000000Z#r1")
    assert not invokes("MODIFY", "AUDIT#b1#3", "REC#2026-01-01T00:00:00.000000Z#r1")  # the sealer's own stamp
    assert not invokes("INSERT", "AUDIT#b1#3", "SEAL")  # nor its head
    assert not invokes("INSERT", "AUDIT#b1#3", "ANCHOR#000000000100")  # nor its anchors


@pytest.mark.parametrize("stage", STAGES)
def test_outbox_relay_lag_and_failures_raise_alarms(templates: dict[str, Any], stage: str) -> None:
    # Given the alarms of the packaged template
    alarms = [a["Properties"] for a in of_type(templates[stage], "AWS::CloudWatch::Alarm").values()]
    relay = [{"Name": "FunctionName", "Value": {"Ref": infra_template.function_logical_id(RELAY)}}]
    by_metric = {a["MetricName"]: a for a in alarms if a["Namespace"] == "AWS/Lambda" and a["Dimensions"] == relay}
    # Then the relay falling a minute behind the table raises one (the oldest record it holds)
    lag = by_metric["IteratorAge"]
    assert (lag["Statistic"], lag["Threshold"], lag["Period"]) == ("Maximum", 60_000, 300)
    # and so do its errors and throttles, like every function's
    assert {"Errors", "Throttles"} <= set(by_metric)
    assert by_metric["Errors"]["Threshold"] == 0


@pytest.mark.parametrize("stage", STAGES)
def test_only_the_relay_reads_the_stream_and_both_outbox_roles_can_relay(templates: dict[str, Any], stage: str) -> None:
    # Given the roles of the relay and of the stranded-event schedule
    template = templates[stage]
    stream = {"Fn::Sub": "${MainTable.Arn}/stream/*"}
    table = {"Fn::GetAtt": ["MainTable", "Arn"]}
    notifications = {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}

    def allowed(statements: list[dict[str, Any]], resource: dict[str, Any]) -> set[str]:
        return {
            a
            for s in statements
            if s["Effect"] == "Allow" and resource in as_list(s["Resource"])
            for a in as_list(s["Action"])
        }

    relay, stranded = role_of(template, RELAY), role_of(template, "relay_stranded_events")
    # Then the relay may read the table's stream, and only that table's
    assert allowed(relay, stream) == STREAM_READ
    everywhere = [
        s for _, s in role_statements(template) if s["Effect"] == "Allow" and STREAM_READ & set(as_list(s["Action"]))
    ]
    assert all(as_list(s["Resource"]) == [stream] for s in everywhere)
    # and the schedule, which never reads the stream, may not
    assert not allowed(stranded, stream)
    # and both can do a relay: read, delete and (reminders) write outbox items, find stranded
    # ones through GSI1, and send to the notifications queue and (an accepted erasure's
    # subscriber starts its job) to the jobs queue, but not consume it
    needed = {"dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem"}
    for statements in (relay, stranded):
        assert needed <= allowed(statements, table)
        assert "dynamodb:Query" in allowed(statements, {"Fn::Sub": "${MainTable.Arn}/index/*"})
        assert "sqs:SendMessage" in allowed(statements, notifications)
        assert allowed(statements, {"Fn::GetAtt": ["JobsQueue", "Arn"]}) == {
            "sqs:SendMessage",
            "sqs:GetQueueUrl",
            "sqs:GetQueueAttributes",
        }


def test_a_stream_source_other_than_the_main_tables_is_refused() -> None:
    # Given an app whose stream consumer names some other stream
    shape = infra_template.AppShape(
        functions=(RELAY,),
        sqs_sources=(),
        stream_sources=(
            infra_template.StreamSource(RELAY, "arn:aws:dynamodb:eu-central-1:1:table/other/stream/2026-01-01"),
        ),
    )
    # When the merge template is built
    # Then it fails, naming the function, instead of deploying a mapping to a stream it cannot resolve
    with pytest.raises(ValueError, match=RELAY):
        infra_template.build("dev", shape)
    # while the main table's placeholder builds
    ok = infra_template.AppShape(
        functions=(RELAY,),
        sqs_sources=(),
        stream_sources=(infra_template.StreamSource(RELAY, resources.stream_arn_placeholder("dev")),),
    )
    assert "OutboxRelayIteratorAgeAlarm" in infra_template.build("dev", ok)["Resources"]


@pytest.mark.parametrize("stage", STAGES)
def test_qr_tickets_are_signed_by_an_ed25519_kms_key_only_the_api_may_use(
    templates: dict[str, Any], stage: str
) -> None:
    # proves: WAL-2
    # Given the packaged template
    template = templates[stage]
    key = template["Resources"]["TicketSigningKey"]
    # Then the signing key is an Ed25519 KMS key (the private half never leaves KMS), kept on delete
    assert key["Properties"]["KeySpec"] == "ECC_NIST_EDWARDS25519"
    assert key["Properties"]["KeyUsage"] == "SIGN_VERIFY"
    assert key["DeletionPolicy"] == "Retain"
    # And the functions are told its ARN, so a deployed stage signs with it (never a key file)
    for function in of_type(template, "AWS::Serverless::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["BOOKING_TICKET_SIGNING_KMS_KEY_ID"] == {"Fn::GetAtt": ["TicketSigningKey", "Arn"]}
    # And only the API's role may sign with it or read its public key
    signers = {
        name
        for name, statement in role_statements(template)
        if {"kms:Sign", "kms:GetPublicKey"} & set(as_list(statement["Action"]))
    }
    granted = [
        statement["Resource"]
        for _, statement in role_statements(template)
        if "kms:Sign" in as_list(statement["Action"])
    ]
    assert len(signers) == 1 and granted == [{"Fn::GetAtt": ["TicketSigningKey", "Arn"]}], (signers, granted)
