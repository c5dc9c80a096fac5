"""infra.template without packaging: what the merge template patches, from an app's shape."""

from __future__ import annotations

import pytest

from chalicelib import resources
from infra import template


def shape(stage: str) -> template.AppShape:
    return template.AppShape(
        functions=("api_handler", "notifications_consumer", "send_reminders"),
        sqs_sources=(template.SqsSource("notifications_consumer", resources.queue_name(stage, "notifications")),),
    )


def test_sqs_consumers_are_patched_to_report_batch_item_failures() -> None:
    # Given an app with one SQS consumer
    # When the dev merge template is built
    built = template.build("dev", shape("dev"))["Resources"]
    consumer = built["NotificationsConsumer"]
    # Then its Chalice-generated event source gets ReportBatchItemFailures, waits for its queue,
    # and the function is told item failures are reported
    event = consumer["Properties"]["Events"]["NotificationsConsumerSqsEventSource"]
    assert event == {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
    assert consumer["DependsOn"] == ["NotificationsQueue"]
    assert consumer["Properties"]["Environment"]["Variables"][template.PARTIAL_BATCH_SETTING] == "true"
    # and functions without SQS sources are not patched with events
    assert "Events" not in built["APIHandler"]["Properties"]
    assert template.PARTIAL_BATCH_SETTING not in built["APIHandler"]["Properties"]["Environment"]["Variables"]


def test_a_consumer_of_an_undefined_queue_fails_the_build() -> None:
    # Given a consumer of a queue chalicelib.resources does not define for the stage
    stray = template.AppShape(
        functions=("stray",), sqs_sources=(template.SqsSource("stray", resources.queue_name("local", "notifications")),)
    )
    # When / Then building fails instead of deploying a consumer of a queue that does not exist
    with pytest.raises(ValueError, match="not one of stage dev's queues"):
        template.build("dev", stray)


def test_the_table_and_queues_come_from_the_shared_definitions() -> None:
    # Given the prod merge template
    built = template.build("prod", shape("prod"))["Resources"]
    # Then the table's keys and indexes, and each queue's redrive, are chalicelib.resources'
    assert built["MainTable"]["Properties"]["AttributeDefinitions"] == resources.table_attribute_definitions()
    assert built["MainTable"]["Properties"]["GlobalSecondaryIndexes"] == resources.table_global_secondary_indexes()
    for spec in resources.QUEUES:
        queue = built[template.queue_logical_id(spec.logical_name)]["Properties"]
        assert queue["QueueName"] == resources.queue_name("prod", spec.logical_name)
        assert queue["RedrivePolicy"]["maxReceiveCount"] == spec.max_receive_count


def test_unknown_stages_are_refused() -> None:
    # Given a stage with no deploy settings / Then no template is produced for it
    with pytest.raises(ValueError, match="Unknown stage"):
        template.build("local", shape("local"))


def test_every_function_needs_its_own_policy_file() -> None:
    # Given the real config and an app with a function nobody configured
    unconfigured = template.AppShape(functions=("api_handler", "brand_new_consumer"), sqs_sources=())
    # Then packaging is refused for that function, by name
    assert template.unconfigured_functions(unconfigured, "dev", template.ROOT) == ["brand_new_consumer"]
