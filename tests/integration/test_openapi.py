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
