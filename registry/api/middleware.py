import json

from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import render

from registry.accounts.services import api_call_audit

from .errors import PROBLEM_CONTENT_TYPE, FieldProblem, problem_response

NUL_MESSAGE = "请求中含有不允许的控制字符（NUL）。"
UNREADABLE_MESSAGE = "请求内容无法解析，请检查格式后重试。"


class NulInMultipart(MultiPartParserError):
    pass


class NulCheckingMultiPartParser(MultiPartParser):
    """Django silently drops unprintable characters from upload file names; a NUL there is refused
    instead, like everywhere else in the request."""

    def sanitize_file_name(self, file_name):
        if "\x00" in file_name:
            raise NulInMultipart("NUL in an upload file name")
        return super().sanitize_file_name(file_name)


def _has_nul(querydict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in querydict.lists())


def _problem(request) -> str | None:
    """Why this request is refused before any view sees it, or None."""
    if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
        return NUL_MESSAGE
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return None
    if request.content_type == "multipart/form-data":
        request.parse_file_upload = lambda meta, data: NulCheckingMultiPartParser(
            meta, data, request.upload_handlers, request.encoding
        ).parse()
        try:
            request.POST  # noqa: B018 — parse now (cached for the view) to check every field and file name
        except NulInMultipart:
            return NUL_MESSAGE
        except MultiPartParserError:
            return UNREADABLE_MESSAGE
        return NUL_MESSAGE if _has_nul(request.POST) else None
    if request.content_type == "application/x-www-form-urlencoded":
        return NUL_MESSAGE if _has_nul(request.POST) else None
    # JSON (ninja reads any other body as JSON) and everything else: a raw NUL or its JSON escape
    return NUL_MESSAGE if b"\x00" in request.body or b"\\u0000" in request.body else None


class RejectNulCharactersMiddleware:
    """A NUL character is never meaningful in this product's input, and PostgreSQL refuses it in
    text columns (a 500 deep inside a service). Refuse it at the door, whatever the content type
    (path, query string, JSON, form fields, multipart fields and file names), with a clear 400:
    problem+json for the API, a plain page for the web. An unparseable multipart body is refused
    the same way rather than failing inside a view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        message = _problem(request)
        if message is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return problem_response(
                status=400,
                code="invalid_input",
                detail=message,
                errors=[FieldProblem("", "invalid_format", message.rstrip("。"))],
            )
        return render(request, "web/bad_request.html", {"message": message}, status=400)


class ApiCallAuditMiddleware:
    """Every accepted call of an API key has one audit row. Endpoints declared with
    `ApiKey(scope, endpoint_audits=True)` write it in their service; when such an endpoint answers
    before doing so (a 400/422 on the body, a 500), the call is audited here as `api_key.call`
    with the answer's problem code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        client = getattr(request, "api_client", None)
        call = getattr(client, "api_call", None)
        if call is not None and not call.audited:
            api_call_audit(client, outcome=_outcome(response))
        return response


def _outcome(response) -> str:
    if response.status_code < 400:
        return "ok"
    code = ""
    if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
        try:
            code = json.loads(response.content).get("code", "")
        except (ValueError, AttributeError):
            code = ""
    return str(code or f"http_{response.status_code}")[:50]


FALLBACKS = {
    404: ("not_found", "没有这个接口，请核对地址（接口列表见 /api/docs）。"),
    405: ("method_not_allowed", "该接口不支持此请求方法。"),
    500: ("server_error", "服务器内部错误，请稍后再试；如反复出现，请将请求编号告知管理员。"),
}


class ApiProblemFallbackMiddleware:
    """Every answer of the API is problem+json (API.md), also those no endpoint wrote: an address
    no endpoint has (Django's HTML 404 page), a method the endpoint does not take (ninja's
    text "Method not allowed"), and a crash (Django's 500 page; with DEBUG, ninja's traceback as
    text — logged by ninja, never shown to the caller). The 405 keeps its Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if (
            status in FALLBACKS
            and request.path_info.startswith("/api/v1/")
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            code, detail = FALLBACKS[status]
            request_id = getattr(request, "request_id", "")  # RequestIdMiddleware sends it as X-Request-ID
            if status == 500 and request_id:
                detail = f"{detail}（请求编号 {request_id}）"
            problem = problem_response(status=status, code=code, detail=detail)
            if "Allow" in response:
                problem["Allow"] = response["Allow"]
            return problem
        return response
