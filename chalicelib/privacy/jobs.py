"""The "jobs" queue: background work of the privacy engine (big exports, erasures).

chalicelib/privacy/exports.py queues an export here; the worker builds it with
chalicelib/privacy/export_document.py (which both share), so this module never imports
exports.py and exports.py imports this one only to enqueue.

An erasure (chalicelib/privacy/erasure.py) is queued by the subscriber of its domain event
(services/subscribers.py) and runs one batch per message: each message runs one step and,
when there is more, queues the next. One batch per message rather than a loop within a
time budget: every invocation is short and alike (one Query page, at most 100 writes), the
progress is durable after each, a failure retries one batch, and no wall-clock budget has
to be guessed against the function's timeout. The progress lives on the privacy request,
so a redelivered or duplicate message resumes from it.

One consumer for the queue, dispatching on the message's ``type``. batch_size is 1 (see
chalicelib.resources), so a failing job fails alone and SQS retries it, then moves it to
the DLQ. Jobs are idempotent: a retried export rebuilds the same S3 object; a retried
erasure step re-applies rules that change nothing the second time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalice.app import Chalice, SQSEvent

from chalicelib import resources

JOBS = "jobs"


def enqueue(message: dict[str, str]) -> None:
    from chalicelib import queues
    from chalicelib.aws_clients import client

    client("sqs").send_message(QueueUrl=queues.queue_url(JOBS), MessageBody=json.dumps(message))


def run_export_job(user_id: str, export_id: str, now: datetime) -> None:
    """Worker: build the export into S3 and mark it ready (idempotent: rebuilds the same key)."""
    from chalicelib.privacy import export_document
    from chalicelib.store import exports as store
    from chalicelib.store import objects

    document = export_document.build(user_id, now)
    key = export_document.object_key(user_id, export_id)
    objects.put_json(export_document.EXPORTS_BUCKET, key, document, sort_keys=True, content_type="application/json")
    store.mark_ready(user_id, export_id, key, now)


def run_erasure_step(request_id: str, now: datetime) -> bool:
    """Worker: one batch of an erasure, then the next step queued (True) when there is more.
    Queued after the progress is recorded: a crash in between leaves this message to SQS's
    retry, which resumes from that progress."""
    from chalicelib.privacy import erasure

    more = erasure.run_step(request_id, now)
    if more:
        enqueue(erasure.job_message(request_id))
    return more


def handle(message: dict[str, Any]) -> None:
    from chalicelib import deps

    kind = message.get("type")
    if kind == "export":
        run_export_job(str(message["user_id"]), str(message["export_id"]), deps.clock().now())
    elif kind == "erasure":
        run_erasure_step(str(message["request_id"]), deps.clock().now())
    else:
        raise ValueError(f"unknown job type {kind!r}")


def handle_event(event: dict[str, Any]) -> None:
    for record in event.get("Records", []):
        handle(json.loads(record["body"]))


def register(app: Chalice) -> None:
    spec = resources.queue_spec(JOBS)
    queue = resources.queue_name(resources.stage_from_env(), JOBS)

    @app.on_sqs_message(queue=queue, batch_size=spec.batch_size, name="jobs_consumer")
    def jobs_consumer(event: SQSEvent) -> None:
        handle_event(event.to_dict())
