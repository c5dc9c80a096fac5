"""The S3 backstop for travel documents (RET-9): the documents bucket expires objects under
travel/ only, after the manifest's backstop window, longer than any request can need them."""

from __future__ import annotations

from chalicelib.retention_rules import window
from chalicelib.settings import Settings
from infra import template


def test_the_documents_bucket_expires_travel_files_only_after_the_backstop_window() -> None:
    # proves: RET-9
    # Given the documents bucket as the template builds it
    built = template.buckets("dev")
    rules = built[template.bucket_logical_id("documents")]["Properties"]["LifecycleConfiguration"]["Rules"]
    backstops = [rule for rule in rules if "ExpirationInDays" in rule]
    # Then one rule expires objects, only those under travel/ (not the archive or the erasure log)
    assert backstops == [
        {"Id": "travel-documents-backstop", "Status": "Enabled", "Prefix": "travel/", "ExpirationInDays": 400}
    ]
    # and it is the manifest's window, longer than a trip's horizon (365 days) plus RET-9's 30
    assert window("travel_documents_backstop").days == 400
    assert window("travel_documents_backstop").days > Settings().travel_horizon_days + window("travel_documents").days
