"""/openapi.json is generated from the routes: every route is in it, and it is valid 3.1."""

from chalicelib.api.routing import METHOD_NOT_ALLOWED_VIEWS


def test_every_route_is_in_the_spec(api):
    from app import app

    spec = api.get("/openapi.json").json
    # Given every (path, method) the Chalice app serves, less the generated 405 answers
    served = {
        (path, method.lower())
        for path, views in app.routes.items()
        for method, entry in views.items()
        if entry.view_name not in METHOD_NOT_ALLOWED_VIEWS
    }
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    # Then the spec documents exactly those
    assert served == documented


def test_spec_is_openapi_3_1_with_resolvable_refs(api):
    from jsonschema import Draft202012Validator

    spec = api.get("/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec["paths"])
    for ref in refs:
        assert ref.removeprefix("#/components/schemas/") in spec["components"]["schemas"], ref


def test_every_operation_documents_problem_responses(api):
    spec = api.get("/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert "500" in op["responses"] and "413" in op["responses"], (method, path)
            assert op["responses"]["500"]["content"]["application/problem+json"]


def test_docs_page_links_the_spec(api):
    response = api.get("/docs")
    assert response.status == 200 and response.content_type == "text/html"
    assert b"/openapi.json" in response.body and b"/v1/health" in response.body


def _stated(spec):
    """(operation, path, names beside the field, extension, value) for every x- rule stated."""
    import re

    components = spec["components"]["schemas"]

    def walk(node, siblings, where, seen):
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].removeprefix("#/components/schemas/")
                if name not in seen:
                    yield from walk(components[name], siblings, where, seen | {name})
                return
            for key in ("x-date-bounds", "x-server-issued", "x-refers-to"):
                if key in node:
                    yield where, siblings, key, node[key]
            properties = node.get("properties", {})
            for value in properties.values():
                yield from walk(value, set(properties), where, seen)
            for key in ("items", "anyOf"):
                for value in node.get(key, []) if key == "anyOf" else [node.get(key)]:
                    yield from walk(value, siblings, where, seen)

    for path, operations in spec["paths"].items():
        objects = {name.removesuffix("_id") for name in re.findall(r"{(\w+)}", path)}
        for method, op in operations.items():
            where = (method.upper(), path, objects, op)
            query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            for parameter in op.get("parameters", []):
                yield from walk(parameter["schema"], query, where, frozenset())
            for media in op.get("requestBody", {}).get("content", {}).values():
                yield from walk(media["schema"], set(), where, frozenset())


def test_every_stated_x_rule_names_only_what_a_client_can_resolve(api):
    # Given the x- rules of /openapi.json (chalicelib/schemas/common.py's vocabulary)
    import re

    spec = api.get("/openapi.json").json
    stated = list(_stated(spec))
    assert {key for *_, key, _ in stated} == {"x-date-bounds", "x-server-issued", "x-refers-to"}
    for (method, path, objects, op), siblings, key, value in stated:
        label = f"{method} {path}: {key}={value}"
        if key == "x-date-bounds":
            # Then a date bound is built of days, today, sibling fields and the path's objects
            assert set(value) <= {"min", "max", "after", "before"}, label
            for expression in (e for expressions in value.values() for e in expressions):
                for term in re.split(r"[+-]", expression):
                    obj, dot, _ = term.partition(".")
                    assert term.isdigit() or term == "today" or term in siblings or (dot and obj in objects), label
        elif key == "x-server-issued":
            # a cursor is handed out as next_cursor by the same operation's answer
            # (a survey token is in the link of a survey invitation, docs/support.md)
            assert value["kind"] in {"cursor", "unsubscribe-token", "survey-token"}, label
            if value["kind"] == "cursor":
                ok = op["responses"][next(iter(op["responses"]))]["content"]["application/json"]["schema"]
                name = ok["$ref"].removeprefix("#/components/schemas/")
                assert value["issued-in"] in spec["components"]["schemas"][name]["properties"], label
        elif value == "ticket_product":
            # tickets: a product a client finds in the public list
            assert "get" in spec["paths"]["/v1/ticket-products"], label
        else:
            # an id of an object the path's venue holds, or one of the caller's own bookings
            # (GET /v1/me/bookings; a support ticket's reference, docs/support.md)
            assert (value == "specialist" and "venue" in objects) or value == "booking", label
