"""Every operation documents the error statuses it can answer, each as problem+json (the schema
schemathesis checks responses against: tests/api/test_schemathesis.py)."""

import pytest

from registry.api.main import api as registry_api

pytestmark = pytest.mark.django_db

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def schema():
    return registry_api.get_openapi_schema()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def statuses(operation) -> set[int]:
    return {int(s) for s in operation["responses"]}


def test_problem_schema_has_the_api_md_fields(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "detail", "errors"} <= set(problem["properties"])
    assert set(problem["properties"]["errors"]["items"]["properties"]) == {"field", "code", "message"}


def test_every_operation_documents_400_as_problem_json(schema):
    for path, method, operation in operations(schema):
        assert 400 in statuses(operation), (method, path)
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == PROBLEM, (method, path, status)


def test_authenticated_operations_document_401_403_404(schema):
    checked = 0
    for path, method, operation in operations(schema):
        if operation.get("security"):
            assert {401, 403, 404} <= statuses(operation), (method, path)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("post", "/api/v1/auth/login", {400, 401, 429}),
        ("post", "/api/v1/me/applications/{application_id}/attachments", {404, 409, 413, 429}),
        ("post", "/api/v1/review/applications/{application_id}/decision", {403, 404, 409}),
        ("get", "/api/v1/regions", {400, 404}),  # an unknown region named in the query
        ("get", "/api/v1/codes/{kind}", {404}),
        ("get", "/api/v1/attachments/{attachment_id}/content", {404, 503}),
    ],
)
def test_operation_specific_errors(schema, method, path, expected):
    assert expected <= statuses(schema["paths"][path][method])
