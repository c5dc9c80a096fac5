"""REV-2 as a contract: the public review's field set, in the pydantic schema and in the
component /openapi.json publishes, is exactly the allowed one (nothing personal can be added
without this test failing)."""

from __future__ import annotations

REV2_FIELDS = {"id", "reviewer_name", "ratings", "text", "created_at", "specialist_name", "reply"}
RATING_FIELDS = {"overall", "service", "cleanliness", "staff", "atmosphere", "value"}
REPLY_FIELDS = {"text", "replied_at"}
NEVER = {"phone", "email", "user_id", "author_user_id", "booking_id", "notes", "customer_user_id", "reply_by"}


def _names(schema, components):
    """Every property name reachable from ``schema`` (following $ref into components)."""
    seen: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                walk(components[ref.rsplit("/", 1)[-1]])
            for name, sub in node.get("properties", {}).items():
                seen.add(name)
                walk(sub)
            for key in ("anyOf", "oneOf", "allOf"):
                for sub in node.get(key, []):
                    walk(sub)
            walk(node.get("items"))

    walk(schema)
    return seen


def test_the_public_review_schema_holds_only_the_rev2_fields():
    # proves: REV-2
    from chalicelib.schemas.reviews import PublicReview, RatingsOut, ReplyOut

    # Given the response model of the public list's items
    schema = PublicReview.model_json_schema()
    # Then its fields are exactly the REV-2 set, and the nested ones theirs
    assert set(PublicReview.model_fields) == REV2_FIELDS
    assert set(schema["properties"]) == REV2_FIELDS
    assert set(RatingsOut.model_fields) == RATING_FIELDS and set(ReplyOut.model_fields) == REPLY_FIELDS
    assert not _names(schema, schema.get("$defs", {})) & NEVER


def test_the_published_component_holds_only_the_rev2_fields(app_client_without_aws):
    # proves: REV-2
    # Given the document the API serves
    document = app_client_without_aws.get("/openapi.json").json
    components = document["components"]["schemas"]
    # When the public reviews answer is followed from its operation
    operation = document["paths"]["/v1/venues/{venue_id}/reviews"]["get"]
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]
    page_schema = components[page["$ref"].rsplit("/", 1)[-1]]
    items = page_schema["properties"]["items"]["items"]
    item_schema = components[items["$ref"].rsplit("/", 1)[-1]]
    # Then the item's properties are exactly REV-2's, and nothing personal is reachable
    assert set(item_schema["properties"]) == REV2_FIELDS
    assert set(page_schema["properties"]) == {"verification", "rating", "review_count", "items", "next_cursor"}
    assert not _names(page_schema, components) & NEVER
