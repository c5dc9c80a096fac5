"""The CloudFormation merge template for `chalice package --merge-template`, built at package time.

Everything comes from definitions that already exist, so nothing is written twice:
- tables, GSIs, TTL attributes, queues (visibility, max receive count), buckets:
  chalicelib.resources (the local stack and the tests build from the same module);
- S3 lifecycle and log retention windows: chalicelib/privacy/manifest/_retention.toml;
- the functions to patch (event sources, log groups, alarms): the Chalice app itself,
  loaded as `chalice package` loads it;
- the secrets to inject: the ``SecretStr`` fields of chalicelib.settings.Settings.

Chalice writes a SAM template; this one is deep-merged over it (dict keys merge, other
values from this file win). It adds the resources Chalice does not know about and patches
the ones it generates: ReportBatchItemFailures on every SQS event source, the main table's
stream (and its filter and retry bounds) on the outbox relay's event source, KMS on every
log group and function environment, the API's throttling, access logs and problem+json
gateway responses. Usage: ``python -m infra.template --stage dev --out merge-template.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib import resources, retention_rules

ROOT = Path(__file__).resolve().parents[1]

API_HANDLER = "api_handler"  # Chalice's name for the function behind every route
API_GATEWAY_STAGE = "api"  # .chalice/config.json api_gateway_stage (a test keeps them equal)
SECRET_NAME = "{app}/{stage}/app"  # noqa: S105 (a name, not a secret) -- one Secrets Manager secret per stage, a JSON object
NONCURRENT_VERSION_DAYS = 7  # undo window for deleted objects; erasure is final after it
PROBLEM_CONTENT_TYPE = "application/problem+json"
# chalicelib.consumers returns batchItemFailures only when told the event source reports
# them; this template sets ReportBatchItemFailures on every SQS and stream source, so it says so.
PARTIAL_BATCH_SETTING = "BOOKING_NOTIFY_PARTIAL_BATCH_RESPONSE"
# A failing stream batch blocks its shard until it succeeds or Lambda gives up. Giving up is
# safe: the outbox item stays in the table until relayed, and the relay_stranded_events
# schedule relays it; so retries are bounded and a poison record never stalls the stream.
STREAM_MAXIMUM_RETRY_ATTEMPTS = 10
STREAM_ITERATOR_AGE_ALARM_MS = 60_000  # the relay is more than a minute behind the table
# (settings field, template parameter, condition): optional deploy-time values.
OPTIONAL_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("push_apns_application_arn", "PushApnsApplicationArn", "HasPushApnsApplication"),
    ("push_fcm_application_arn", "PushFcmApplicationArn", "HasPushFcmApplication"),
)

Template = dict[str, Any]


@dataclass(frozen=True)
class StageSettings:
    throttle_rate_per_second: float
    throttle_burst: int
    api_5xx_per_5_minutes: int  # alarm threshold
    api_handler_errors_per_5_minutes: int


STAGES: dict[str, StageSettings] = {
    "dev": StageSettings(
        throttle_rate_per_second=20, throttle_burst=40, api_5xx_per_5_minutes=10, api_handler_errors_per_5_minutes=10
    ),
    "prod": StageSettings(
        throttle_rate_per_second=200, throttle_burst=400, api_5xx_per_5_minutes=5, api_handler_errors_per_5_minutes=5
    ),
}


@dataclass(frozen=True)
class SqsSource:
    function: str  # Chalice handler name
    queue_name: str  # physical queue name the decorator named


@dataclass(frozen=True)
class StreamSource:
    function: str  # Chalice handler name
    stream_arn: str  # what the decorator named (a placeholder: the real ARN exists only after deploy)


@dataclass(frozen=True)
class AppShape:
    """What the merge template must know about the Chalice app."""

    functions: tuple[str, ...]  # Chalice function names (handler names, plus api_handler)
    sqs_sources: tuple[SqsSource, ...]
    stream_sources: tuple[StreamSource, ...] = ()


# --- names -------------------------------------------------------------------------------


def cfn_name(name: str) -> str:
    """Chalice's own CamelCase conversion (chalice.utils.to_cfn_resource_name)."""
    from chalice.utils import to_cfn_resource_name

    return str(to_cfn_resource_name(name))


def function_logical_id(function: str) -> str:
    # Chalice renames the API handler's resource after generating it.
    return "APIHandler" if function == API_HANDLER else cfn_name(function)


def log_group_logical_id(function: str) -> str:
    return cfn_name(f"{function}-log-group")


def role_logical_id(function: str) -> str:
    return cfn_name(f"{function}_role")


def sqs_event_logical_id(function: str) -> str:
    return cfn_name(f"{function}-sqs-event-source")


def dynamodb_event_logical_id(function: str) -> str:
    # chalice.deploy.appgraph names the model "<name>-dynamodb-event-source"; package.py CamelCases it.
    return cfn_name(f"{function}-dynamodb-event-source")


def queue_logical_id(logical_name: str) -> str:
    return f"{cfn_name(logical_name)}Queue"


def dlq_logical_id(logical_name: str) -> str:
    return f"{cfn_name(logical_name)}DeadLetterQueue"


def bucket_logical_id(logical_name: str) -> str:
    return f"{cfn_name(logical_name)}Bucket"


def secret_name(stage: str) -> str:
    return SECRET_NAME.format(app=resources.APP_NAME, stage=stage)


def secret_setting_names() -> list[str]:
    """Settings fields typed SecretStr: each is injected from the stage's secret."""
    from pydantic import SecretStr

    from chalicelib.settings import Settings

    return sorted(name for name, field in Settings.model_fields.items() if field.annotation is SecretStr)


# --- the app -----------------------------------------------------------------------------


def describe_app(app: Any) -> AppShape:
    """Functions, SQS and DynamoDB stream sources of a Chalice app, named as `chalice package` names them."""
    from chalice.app import DynamoDBEventConfig, SQSEventConfig

    functions: list[str] = []
    if app.routes:
        functions.append(API_HANDLER)
    sqs: list[SqsSource] = []
    streams: list[StreamSource] = []
    for source in app.event_sources:
        functions.append(source.name)
        if isinstance(source, SQSEventConfig):
            queue = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
            sqs.append(SqsSource(function=source.name, queue_name=queue))
        elif isinstance(source, DynamoDBEventConfig):
            streams.append(StreamSource(function=source.name, stream_arn=source.stream_arn))
    functions += [function.name for function in app.pure_lambda_functions]
    functions += [authorizer.name for authorizer in getattr(app, "builtin_auth_handlers", [])]
    return AppShape(functions=tuple(functions), sqs_sources=tuple(sqs), stream_sources=tuple(streams))


def load_app_shape(project_dir: Path, stage: str) -> AppShape:
    """Import the app the way `chalice package` does (same env: BOOKING_STAGE=stage)."""
    from chalice.cli.factory import CLIFactory

    # The app reads its settings (queue names included) from the environment at import.
    os.environ["BOOKING_STAGE"] = stage
    return describe_app(CLIFactory(str(project_dir)).load_chalice_app())


def exports_expire_days() -> int:
    return retention_days("export")


def recordings_expire_days() -> int:
    return retention_days("call_recordings")


def unconfigured_functions(shape: AppShape, stage: str, project_dir: Path) -> list[str]:
    """Functions without their own policy file: Chalice would fail on a missing policy-<stage>.json."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    configured = config["stages"][stage].get("lambda_functions", {})
    return [f for f in shape.functions if "iam_policy_file" not in configured.get(f, {})]


def retention_days(rule: str) -> int:
    """A manifest retention window in whole days (S3 lifecycle and log retention take days)."""
    window = retention_rules.window(rule)
    if window % timedelta(days=1):
        raise ValueError(f"retention rule {rule!r} is not a whole number of days: {window}")
    return window.days


# --- building blocks -----------------------------------------------------------------------


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def kms_key() -> Template:
    """One customer-managed key for the table, queues, buckets, logs, alarm topic, env."""
    account_root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    return {
        "AppKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": {"Fn::Sub": "${AWS::StackName}: data at rest (table, queues, buckets, logs)"},
                "EnableKeyRotation": True,
                "PendingWindowInDays": 30,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            # Delegates to IAM: the function roles name the exact actions they need.
                            "Sid": "AccountAdministersThroughIam",
                            "Effect": "Allow",
                            "Principal": {"AWS": account_root},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "CloudWatchLogsEncryptsThisStacksLogGroups",
                            "Effect": "Allow",
                            "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                            "Action": [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ReEncryptFrom",
                                "kms:ReEncryptTo",
                                "kms:GenerateDataKey",
                                "kms:GenerateDataKeyWithoutPlaintext",
                                "kms:DescribeKey",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "ArnLike": {
                                    "kms:EncryptionContext:aws:logs:arn": {
                                        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:*"
                                    }
                                }
                            },
                        },
                        {
                            "Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                            "Resource": "*",
                        },
                    ],
                },
            },
        },
        "AppKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": {"Fn::Sub": "alias/${AWS::StackName}"}, "TargetKeyId": _ref("AppKey")},
        },
        # QR tickets (WAL-2, docs/wallet.md): Ed25519 in KMS, so the private key never leaves
        # it; the API signs (kms:Sign) and publishes the public key (kms:GetPublicKey) to
        # offline validators. Asymmetric keys do not rotate themselves (docs/operations.md).
        "TicketSigningKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": {"Fn::Sub": "${AWS::StackName}: signs QR ticket payloads (Ed25519)"},
                "KeySpec": "ECC_NIST_EDWARDS25519",
                "KeyUsage": "SIGN_VERIFY",
                "PendingWindowInDays": 30,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersThroughIam",
                            "Effect": "Allow",
                            "Principal": {"AWS": account_root},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
    }


def tables(stage: str) -> Template:
    encrypted = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": _arn("AppKey")}
    pitr = {"PointInTimeRecoveryEnabled": True}
    main = resources.create_table_kwargs(resources.table_name(stage))
    # CreateTable's StreamSpecification has StreamEnabled; CloudFormation's has only the view
    # type (present means on).
    stream = main.pop("StreamSpecification")
    if stream.get("StreamEnabled"):
        main["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    return {
        "MainTable": {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                **main,
                "PointInTimeRecoverySpecification": pitr,
                "SSESpecification": encrypted,
                "DeletionProtectionEnabled": True,
                "TimeToLiveSpecification": {"AttributeName": resources.TTL_ATTRIBUTE, "Enabled": True},
            },
        },
    }


def queues(stage: str) -> Template:
    out: Template = {}
    for spec in resources.QUEUES:
        queue_id, dlq_id = queue_logical_id(spec.logical_name), dlq_logical_id(spec.logical_name)
        out[dlq_id] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": resources.dlq_name(stage, spec.logical_name),
                "MessageRetentionPeriod": resources.dlq_retention_seconds(),
                "KmsMasterKeyId": _ref("AppKey"),
                "KmsDataKeyReusePeriodSeconds": 300,
                # Only its own source queue may dead-letter into it.
                "RedriveAllowPolicy": {
                    "redrivePermission": "byQueue",
                    "sourceQueueArns": [
                        {
                            "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                            + resources.queue_name(stage, spec.logical_name)
                        }
                    ],
                },
            },
        }
        out[queue_id] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": resources.queue_name(stage, spec.logical_name),
                "VisibilityTimeout": spec.visibility_timeout_seconds,
                "KmsMasterKeyId": _ref("AppKey"),
                "KmsDataKeyReusePeriodSeconds": 300,
                "RedrivePolicy": {"deadLetterTargetArn": _arn(dlq_id), "maxReceiveCount": spec.max_receive_count},
            },
        }
        out[f"{dlq_id}DepthAlarm"] = alarm(
            description=f"Messages are dead-lettered from {spec.logical_name}: inspect, fix, redrive "
            "(docs/operations.md#dead-letter-queues)",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": {"Fn::GetAtt": [dlq_id, "QueueName"]}},
            statistic="Maximum",
            threshold=0,
        )
    return out


def _lifecycle(logical_name: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {
            "Id": "abort-incomplete-uploads",
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
        {
            # Versioning guards against accidents; a deletion (erasure, retention sweep) is final after this.
            "Id": "purge-deleted-versions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
            "ExpiredObjectDeleteMarker": True,
        },
    ]
    if logical_name == "exports":
        # An export is a short-lived download, kept as long as its record (chalicelib.store.exports).
        rules.append({"Id": "exports-expire", "Status": "Enabled", "ExpirationInDays": exports_expire_days()})
    if logical_name == "recordings":
        # Call recordings (RET-6): expired on the manifest's window; the retention sweep deletes
        # the record and the object on the same day (chalicelib/privacy/subjects.py ATTACHED_OBJECTS).
        rules.append({"Id": "recordings-expire", "Status": "Enabled", "ExpirationInDays": recordings_expire_days()})
    if logical_name == "documents":
        # RET-8: what the retention sweep archives (passive/...) moves to an archive storage class.
        # Glacier Instant Retrieval: the export still reads it with a plain GetObject (no restore).
        rules.append(
            {
                "Id": "passive-archive",
                "Status": "Enabled",
                "Prefix": "passive/",
                "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 1}],
            }
        )
    # The documents bucket has no blanket expiry: it holds travel documents (deleted by the app
    # when RET-9's window ends: the trigger, a request closing, is invisible to S3), the
    # passive archive (RET-8) and the erasure log that must outlive every backup.
    if logical_name == "documents":
        # Backstop for travel documents only (RET-9): the sweep deletes each file 30 days after its
        # request closed; a file whose request never closed (or a sweep that failed) goes after
        # the longest life a request can have (trip within a year, plus the window and slack).
        rules.append(
            {
                "Id": "travel-documents-backstop",
                "Status": "Enabled",
                "Prefix": "travel/",
                "ExpirationInDays": retention_days("travel_documents_backstop"),
            }
        )
    return rules


def buckets(stage: str) -> Template:
    out: Template = {}
    for logical_name in resources.BUCKETS:
        bucket_id = bucket_logical_id(logical_name)
        out[bucket_id] = {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": resources.bucket_name(stage, logical_name),
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": _arn("AppKey"),
                            },
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": _lifecycle(logical_name)},
            },
        }
        out[f"{bucket_id}Policy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref(bucket_id),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [_arn(bucket_id), {"Fn::Sub": f"${{{bucket_id}.Arn}}/*"}],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        }
    return out


def alarm(
    *,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, Any],
    statistic: str = "Sum",
    threshold: float,
    period: int = 300,
) -> Template:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [_ref("AlarmTopic")],
            "OKActions": [_ref("AlarmTopic")],
        },
    }


def app_metric_alarms(stage: str) -> Template:
    """The app's own counters of things that must never happen, alarmed on any at all (the one
    Metrics object, chalicelib/observability.py; each emitted by its schedule in chalicelib/schedules.py):
    - RET-1: an erasure still running 24 h after DELETE /v1/me (30 days are allowed): the
      hourly schedule re-enqueues it; look at the job's DLQ and errors long before day 30;
    - reviews (docs/reviews.md): the daily recount found aggregates that differ: a write path
      skipped the transaction that keeps them exact;
    - wallet (docs/wallet.md): the hourly reconciliation found a balance that is not the sum of
      its entries: money was created or lost somewhere."""
    from chalicelib.observability import METRICS_NAMESPACE, SERVICE
    from chalicelib.schedules import LEDGER_DIFFERENCES_METRIC, RATING_DRIFT_METRIC, STALE_ERASURES_METRIC

    watched = (
        (
            "StaleErasuresAlarm",
            STALE_ERASURES_METRIC,
            3600,
            "Erasures (DELETE /v1/me) still not complete 24 hours later (RET-1: 30 days)",
        ),
        (
            "RatingDriftAlarm",
            RATING_DRIFT_METRIC,
            86400,
            "Review aggregates that differ from a recount of the reviews (docs/reviews.md)",
        ),
        (
            "LedgerDifferencesAlarm",
            LEDGER_DIFFERENCES_METRIC,
            3600,
            "A wallet or card balance differs from the sum of its ledger entries",
        ),
    )
    return {
        logical_id: alarm(
            description=description,
            namespace=METRICS_NAMESPACE,
            metric=metric,
            dimensions={"service": SERVICE, "stage": stage},
            statistic="Maximum",
            threshold=0,
            period=period,
        )
        for logical_id, metric, period, description in watched
    }


def alarm_topic() -> Template:
    return {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-alarms"}, "KmsMasterKeyId": _ref("AppKey")},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {"TopicArn": _ref("AlarmTopic"), "Protocol": "email", "Endpoint": _ref("AlarmEmail")},
        },
    }


def functions(stage: str, shape: AppShape, settings: StageSettings) -> Template:
    """Patches for the functions Chalice generates, and their alarms."""
    queue_ids = {resources.queue_name(stage, spec.logical_name): spec.logical_name for spec in resources.QUEUES}
    secret = secret_name(stage)
    environment: dict[str, Any] = {
        "BOOKING_REGION": _ref("AWS::Region"),
        "BOOKING_EMAIL_SENDER": _ref("EmailSender"),
        # Bumping the parameter changes every function's configuration, so CloudFormation
        # resolves the secret references again (rotation, docs/operations.md).
        "BOOKING_SECRETS_REVISION": _ref("SecretsRevision"),
        "BOOKING_TICKET_SIGNING_KMS_KEY_ID": _arn("TicketSigningKey"),
    }
    for setting, parameter, condition in OPTIONAL_PARAMETERS:
        environment[f"BOOKING_{setting.upper()}"] = {"Fn::If": [condition, _ref(parameter), _ref("AWS::NoValue")]}
    for name in secret_setting_names():
        environment[f"BOOKING_{name.upper()}"] = f"{{{{resolve:secretsmanager:{secret}:SecretString:{name}}}}}"
    out: Template = {}
    for function in shape.functions:
        function_id = function_logical_id(function)
        patch: Template = {"Properties": {"KmsKeyArn": _arn("AppKey"), "Environment": {"Variables": environment}}}
        out[function_id] = patch
        out[log_group_logical_id(function)] = {
            # Chalice names the API handler's log group after the function's pre-rename id
            # (${ApiHandler}, which does not exist); name it after the real one.
            "Properties": {"KmsKeyId": _arn("AppKey"), "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"}}
        }
        errors_threshold = settings.api_handler_errors_per_5_minutes if function == API_HANDLER else 0
        out[f"{function_id}ErrorsAlarm"] = alarm(
            description=f"{function} raised unhandled errors",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": _ref(function_id)},
            threshold=errors_threshold,
        )
        out[f"{function_id}ThrottlesAlarm"] = alarm(
            description=f"{function} was throttled (concurrency limit)",
            namespace="AWS/Lambda",
            metric="Throttles",
            dimensions={"FunctionName": _ref(function_id)},
            threshold=0,
        )
    for source in shape.sqs_sources:
        if source.queue_name not in queue_ids:
            raise ValueError(
                f"{source.function} consumes queue {source.queue_name!r}, which is not one of stage "
                f"{stage}'s queues in chalicelib.resources.QUEUES ({sorted(queue_ids)})"
            )
        function_id = function_logical_id(source.function)
        consumer_environment = {**environment, PARTIAL_BATCH_SETTING: "true"}
        out[function_id]["Properties"]["Environment"] = {"Variables": consumer_environment}
        # Chalice names the queue by ARN string: without DependsOn the event source mapping
        # could be created before the queue exists.
        out[function_id]["DependsOn"] = [queue_logical_id(queue_ids[source.queue_name])]
        out[function_id]["Properties"]["Events"] = {
            sqs_event_logical_id(source.function): {
                "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
            }
        }
    for stream_source in shape.stream_sources:
        out.update(_stream_consumer(stage, stream_source, out, environment))
    return out


def outbox_filter_pattern() -> dict[str, Any]:
    """The event filter: new or changed outbox items only; every other write never invokes the relay."""
    return {
        "eventName": ["INSERT", "MODIFY"],
        "dynamodb": {"Keys": {resources.TABLE_HASH_KEY: {"S": [{"prefix": resources.OUTBOX_KEY_PREFIX}]}}},
    }


def audit_filter_pattern() -> dict[str, Any]:
    """New audit records (their sealing): not the sealer's own writes (MODIFY, heads, anchors)."""
    return {
        "eventName": ["INSERT"],
        "dynamodb": {
            "Keys": {
                resources.TABLE_HASH_KEY: {"S": [{"prefix": resources.AUDIT_KEY_PREFIX}]},
                resources.TABLE_RANGE_KEY: {"S": [{"prefix": resources.AUDIT_RECORD_PREFIX}]},
            }
        },
    }


def _stream_consumer(stage: str, source: StreamSource, patches: Template, environment: dict[str, Any]) -> Template:
    """Point the relay's event source at the main table's stream (its ARN is known only at deploy)."""
    if source.stream_arn != resources.stream_arn_placeholder(stage):
        raise ValueError(
            f"{source.function} reads stream {source.stream_arn!r}; the template knows only the main table's, "
            f"named {resources.stream_arn_placeholder(stage)!r} (chalicelib.resources.stream_arn_placeholder)"
        )
    function_id = function_logical_id(source.function)
    patch = patches[function_id]
    patch["Properties"]["Environment"] = {"Variables": {**environment, PARTIAL_BATCH_SETTING: "true"}}
    patch["Properties"]["Events"] = {
        dynamodb_event_logical_id(source.function): {
            "Properties": {
                # The GetAtt also orders the mapping after the table (no DependsOn, unlike SQS).
                "Stream": {"Fn::GetAtt": ["MainTable", "StreamArn"]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                # Filters are OR-ed: outbox items, and new audit records (the sealer).
                "FilterCriteria": {
                    "Filters": [
                        {"Pattern": json.dumps(outbox_filter_pattern())},
                        {"Pattern": json.dumps(audit_filter_pattern())},
                    ]
                },
                # A failing batch is halved until the failing record is alone: the rest go through.
                "BisectBatchOnFunctionError": True,
                "MaximumRetryAttempts": STREAM_MAXIMUM_RETRY_ATTEMPTS,
            }
        }
    }
    return {
        f"{function_id}IteratorAgeAlarm": alarm(
            description=f"{source.function} lags the table stream by over "
            f"{STREAM_ITERATOR_AGE_ALARM_MS // 1000} s (docs/operations.md#outbox-relay)",
            namespace="AWS/Lambda",
            metric="IteratorAge",
            dimensions={"FunctionName": _ref(function_id)},
            statistic="Maximum",
            threshold=STREAM_ITERATOR_AGE_ALARM_MS,
        )
    }


def _problem_template(status: int | None, slug: str, title: str) -> str:
    # VTL: $context values are filled in by API Gateway; the body mirrors chalicelib/api/problems.py.
    status_part = f'"status":{status},' if status is not None else ""
    return (
        f'{{"type":"/problems/{slug}","title":"{title}",{status_part}'
        # messageString is already a quoted JSON string
        '"detail":$context.error.messageString,"instance":"$context.path","request_id":"$context.requestId"}'
    )


GATEWAY_RESPONSES: tuple[tuple[str, int | None, str, str], ...] = (
    # (response type, status, problem slug, title); None keeps API Gateway's status.
    ("MISSING_AUTHENTICATION_TOKEN", 404, "not-found", "Not found"),  # unknown route (infra/local/gateway.py)
    ("THROTTLED", 429, "rate-limited", "Too many requests"),
    ("REQUEST_TOO_LARGE", 413, "payload-too-large", "Request body too large"),
    ("INTEGRATION_TIMEOUT", 504, "timeout", "The request took too long"),
    ("DEFAULT_4XX", None, "bad-request", "Bad request"),
    ("DEFAULT_5XX", None, "internal-error", "Internal server error"),
)


def api(stage: str, settings: StageSettings) -> Template:
    api_name = f"{resources.APP_NAME}-{stage}"
    out: Template = {
        "RestAPI": {
            "Properties": {
                "Name": api_name,
                "TracingEnabled": True,
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": settings.throttle_rate_per_second,
                        "ThrottlingBurstLimit": settings.throttle_burst,
                        "MetricsEnabled": True,
                        "LoggingLevel": "ERROR",
                        "DataTraceEnabled": False,  # would log request bodies: personal data
                    }
                ],
                "AccessLogSetting": {
                    "DestinationArn": _arn("ApiAccessLogGroup"),
                    # No query string, body or source address: paths carry ids only.
                    "Format": json.dumps(
                        {
                            "requestId": "$context.requestId",
                            "time": "$context.requestTimeEpoch",
                            "method": "$context.httpMethod",
                            "resource": "$context.resourcePath",
                            "status": "$context.status",
                            "latencyMs": "$context.responseLatency",
                            "error": "$context.error.responseType",
                        },
                        separators=(",", ":"),
                    ),
                },
            },
        },
        "ApiAccessLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": {"Fn::Sub": "/aws/apigateway/${AWS::StackName}-access"},
                "RetentionInDays": retention_days("system_logs"),
                "KmsKeyId": _arn("AppKey"),
            },
        },
        "ApiGatewayCloudWatchRole": {
            "Type": "AWS::IAM::Role",
            "Condition": "ManageApiGatewayAccount",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                        "AmazonAPIGatewayPushToCloudWatchLogs"
                    }
                ],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Condition": "ManageApiGatewayAccount",
            "Properties": {"CloudWatchRoleArn": _arn("ApiGatewayCloudWatchRole")},
        },
        "Api5xxAlarm": alarm(
            description="The API answered 5xx",
            namespace="AWS/ApiGateway",
            metric="5XXError",
            dimensions={"ApiName": api_name, "Stage": API_GATEWAY_STAGE},
            threshold=settings.api_5xx_per_5_minutes,
        ),
    }
    for response_type, status, slug, title in GATEWAY_RESPONSES:
        response: Template = {
            "RestApiId": _ref("RestAPI"),
            "ResponseType": response_type,
            "ResponseParameters": {
                "gatewayresponse.header.Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
                "gatewayresponse.header.X-Request-Id": "context.requestId",
            },
            "ResponseTemplates": {"application/json": _problem_template(status, slug, title)},
        }
        if status is not None:
            response["StatusCode"] = str(status)
        out[f"{cfn_name(response_type.lower())}GatewayResponse"] = {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": response,
        }
    return out


def build(stage: str, shape: AppShape) -> Template:
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}; deployable stages: {sorted(STAGES)}")
    settings = STAGES[stage]
    resources_: Template = {
        **kms_key(),
        **tables(stage),
        **queues(stage),
        **buckets(stage),
        **alarm_topic(),
        **app_metric_alarms(stage),
        **api(stage, settings),
        **functions(stage, shape, settings),
    }
    return {
        "Parameters": {
            "EmailSender": {
                "Type": "String",
                "Default": "no-reply@example.com",
                "Description": "Verified SES identity the app sends e-mail from",
            },
            "SecretsRevision": {
                "Type": "String",
                "Default": "1",
                "Description": f"Bump after changing secret {secret_name(stage)} so functions pick it up",
            },
            **{
                parameter: {"Type": "String", "Default": "", "Description": f"Optional: BOOKING_{setting.upper()}"}
                for setting, parameter, _ in OPTIONAL_PARAMETERS
            },
            "AlarmEmail": {"Type": "String", "Default": "", "Description": "Optional: e-mail subscribed to alarms"},
            "ManageApiGatewayAccountRole": {
                "Type": "String",
                "Default": "true",
                "AllowedValues": ["true", "false"],
                "Description": "false when the account's API Gateway CloudWatch role is managed elsewhere",
            },
        },
        "Conditions": {
            **{
                condition: {"Fn::Not": [{"Fn::Equals": [_ref(parameter), ""]}]}
                for _, parameter, condition in OPTIONAL_PARAMETERS
            },
            "HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [_ref("AlarmEmail"), ""]}]},
            "ManageApiGatewayAccount": {"Fn::Equals": [_ref("ManageApiGatewayAccountRole"), "true"]},
        },
        "Resources": resources_,
        "Outputs": {
            "AlarmTopicArn": {"Value": _ref("AlarmTopic")},
            "MainTableName": {"Value": _ref("MainTable")},
            "AppKeyArn": {"Value": _arn("AppKey")},
            "SecretName": {"Value": secret_name(stage)},
            **{
                f"{dlq_logical_id(q.logical_name)}Url": {"Value": _ref(dlq_logical_id(q.logical_name))}
                for q in resources.QUEUES
            },
            **{f"{bucket_logical_id(b)}Name": {"Value": _ref(bucket_logical_id(b))} for b in resources.BUCKETS},
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stage", required=True, choices=sorted(STAGES))
    parser.add_argument("--out", type=Path, help="write here (default: stdout)")
    parser.add_argument("--project-dir", type=Path, default=ROOT)
    parser.add_argument("--secret-keys", action="store_true", help="print the keys the stage secret must hold")
    args = parser.parse_args(argv)
    if args.secret_keys:
        print(json.dumps({name: "..." for name in secret_setting_names()}, indent=2))
        return 0
    shape = load_app_shape(args.project_dir.resolve(), args.stage)
    missing = unconfigured_functions(shape, args.stage, args.project_dir.resolve())
    if missing:
        print(
            f"error: give {', '.join(missing)} an entry in .chalice/config.json stages.{args.stage}.lambda_functions "
            "(iam_policy_file with least-privilege permissions, lambda_memory_size, lambda_timeout)",
            file=sys.stderr,
        )
        return 2
    template = build(args.stage, shape)
    text = json.dumps(template, indent=2, sort_keys=True) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
