"""GET /v1/health: the table and every queue must answer."""

import pytest

from chalicelib import resources
from chalicelib.aws_clients import client
from chalicelib.settings import get_settings


@pytest.mark.ddblocal
def test_health_reports_table_and_queues(api):
    # Given the table and queues exist (created from chalicelib.resources)
    # When health is asked
    response = api.get("/v1/health")
    # Then every dependency is reported reachable
    assert response.status == 200, response.body
    assert response.json == {
        "status": "ok",
        "checks": {"table": "active", **{f"queue:{q.logical_name}": "ok" for q in resources.QUEUES}},
    }


def test_health_is_503_when_a_queue_is_missing(api):
    # Given the notifications queue has been deleted
    sqs = client("sqs")
    name = resources.queue_name(get_settings().stage, "notifications")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    # When health is asked
    response = api.get("/v1/health")
    # Then it is a 503 problem naming the unreachable queue
    assert response.status == 503
    assert "queue:notifications" in response.json["detail"]


def test_health_is_503_when_the_table_is_missing(api):
    client("dynamodb").delete_table(TableName=get_settings().resolved_table_name())
    response = api.get("/v1/health")
    assert response.status == 503
    assert "table" in response.json["detail"]
