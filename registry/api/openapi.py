"""The 4xx answers of every operation, documented in one place.

Errors never come from an operation's own `response=` declaration: they are raised (ServiceError,
ApiError, pydantic, auth) and turned into problem+json by errors.install_handlers. So the schema
ninja generates lists only the success status. Here each operation gets the error statuses it can
really answer, derived from what it is: everything can be refused as bad input (400: validation,
NUL characters); login can fail (401) or be locked (429); an authenticated operation can answer 401/403 and "not yours or not there" (404);
a change can conflict with the current state (409) or hit a limit (429); an upload can be too large
(413); anything that reads or writes stored files or signs documents can find storage or the
signing key unavailable (503). Over-documenting a status is harmless to clients; a missing one is a
contract break (schemathesis' status_code_conformance checks it in tests/api/test_schemathesis.py).
"""

from ninja import NinjaAPI

from .errors import PROBLEM_CONTENT_TYPE, TITLES

PROBLEM_SCHEMA = {
    "title": "Problem",
    "description": "RFC 9457 problem details, as API.md describes.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string", "description": "URI naming the problem kind"},
        "title": {"type": "string", "description": "短标题（中文）"},
        "status": {"type": "integer", "description": "HTTP status"},
        "code": {"type": "string", "description": "stable machine-readable code, e.g. not_editable"},
        "detail": {"type": "string", "description": "给用户看的说明（中文）"},
        "errors": {
            "type": "array",
            "description": "per-field problems (dotted path), empty when the problem is not about a field",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

CHANGING_METHODS = {"post", "put", "patch", "delete"}
FILE_PATH_PARTS = ("attachments", "export", "document", "transfer-out", "submit")


def error_statuses(path: str, method: str, operation: dict) -> set[int]:
    """The 4xx/5xx statuses one operation can answer besides its success."""
    statuses = {400}
    authenticated = bool(operation.get("security"))
    parameters = {p.get("in") for p in operation.get("parameters", [])}
    has_path_params, has_query_params = "path" in parameters, "query" in parameters
    changes = method in CHANGING_METHODS
    if authenticated:
        statuses |= {401, 403, 404}
    if has_path_params or has_query_params:
        statuses.add(404)  # the object named in the path or query does not exist
    if changes:
        statuses |= {409, 429}
    if any("ApiKey" in scheme for scheme in operation.get("security", [])):
        statuses.add(429)  # past the key's per-minute limit (API_KEY_RATE_LIMIT)
    if path.split("/api/v1", 1)[-1].startswith("/auth/"):
        statuses |= {401, 429}  # wrong password, login lockout, SMS code limits
    body = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in body:
        statuses.add(413)
    if authenticated and (changes or any(part in path for part in FILE_PATH_PARTS)):
        statuses.add(503)
    return statuses


def add_error_responses(schema: dict) -> dict:
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})  # ninja keys them by int
            documented = {int(status) for status in responses}
            for status in sorted(error_statuses(path, method, operation) - documented):
                responses[status] = {"description": TITLES[status], **problem}
    return schema


class RegistryApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return add_error_responses(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))
