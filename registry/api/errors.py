"""Errors as application/problem+json (RFC 9457), the shape API.md promises:
{"type", "title", "status", "detail", "errors": [{"field", "code", "message"}]}."""

from dataclasses import dataclass, field
from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from registry.core.errors import RateLimited, ServiceError, input_error_message

from .parser import UnreadableBody

PROBLEM_CONTENT_TYPE = "application/problem+json"
UNREADABLE_BODY = "请求内容无法解析，请检查格式后重试。"
CSRF_FAILED = "安全校验未通过（CSRF）：请刷新页面后重试。其他系统调用接口请使用 Authorization: Bearer 令牌，不要使用浏览器 Cookie。"

TITLES = {
    400: "输入有误",
    401: "请先登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    409: "状态冲突",
    413: "文件过大",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}


@dataclass
class FieldProblem:
    field: str
    code: str
    message: str


@dataclass
class ApiError(Exception):
    status: int
    code: str
    detail: str
    errors: list[FieldProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)


def problem_response(
    *, status: int, code: str, detail: str, errors: list[FieldProblem] | None = None, headers=None
) -> JsonResponse:
    body = {
        "type": f"https://registry.invalid/problems/{code}",
        "title": TITLES.get(status, HTTPStatus(status).phrase),
        "status": status,
        "code": code,
        "detail": detail,
        "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in errors or []],
    }
    response = JsonResponse(
        body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _pydantic_field(loc) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes the location with ("body", "<parameter name>") or ("query", …)
    if parts and parts[0] in {"body", "query", "path", "form", "file", "header", "cookie"}:
        parts = parts[1:]
        if len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts)


def _pydantic_problem(error: dict) -> FieldProblem:
    kind = error.get("type", "")
    if kind == "missing":
        return FieldProblem(_pydantic_field(error.get("loc", [])), "required", "此项为必填项")
    return FieldProblem(_pydantic_field(error.get("loc", [])), "invalid_format", input_error_message(error))


def install_handlers(api) -> None:
    @api.exception_handler(ApiError)
    def on_api_error(request, exc: ApiError):
        return problem_response(
            status=exc.status, code=exc.code, detail=exc.detail, errors=exc.errors, headers=exc.headers
        )

    @api.exception_handler(ServiceError)
    def on_service_error(request, exc: ServiceError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if hasattr(exc, "problems"):  # a refused submission lists every problem at once
            errors = [FieldProblem(p.field, p.code, p.message) for p in exc.problems]
        else:
            errors = [FieldProblem(exc.field, exc.code, exc.message)] if exc.field else []
        return problem_response(status=exc.status, code=exc.code, detail=exc.message, errors=errors, headers=headers)

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request, exc: NinjaValidationError):
        problems = [_pydantic_problem(e) for e in exc.errors]
        return problem_response(
            status=400, code="invalid_input", detail="请求内容有误，请按提示修改。", errors=problems
        )

    @api.exception_handler(DjangoValidationError)
    def on_django_validation_error(request, exc: DjangoValidationError):
        problems = []
        if hasattr(exc, "error_dict"):
            for name, errs in exc.error_dict.items():
                problems += [FieldProblem(name, e.code or "invalid", " ".join(e.messages)) for e in errs]
        else:
            problems = [FieldProblem("", e.code or "invalid", " ".join(e.messages)) for e in exc.error_list]
        code = problems[0].code if len(problems) == 1 else "invalid_input"
        return problem_response(status=400, code=code, detail="；".join(p.message for p in problems), errors=problems)

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request, exc):
        return problem_response(status=401, code="not_authenticated", detail="请先登录。")

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return problem_response(status=404, code="not_found", detail="未找到该对象，或您无权查看。")

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        """ninja's own refusals, whose texts are English: a body its parser could not read (the
        parser's UnreadableBody is the cause) and a session call without the CSRF token."""
        status = exc.status_code
        cause = exc.__cause__
        if status == 400 and cause is not None:
            message = cause.message if isinstance(cause, UnreadableBody) else UNREADABLE_BODY
            code = cause.code if isinstance(cause, UnreadableBody) else "invalid_json"
            return problem_response(
                status=400,
                code="invalid_input",
                detail=message,
                errors=[FieldProblem("", code, message.rstrip("。"))],
            )
        if status == 403 and "CSRF" in str(exc):
            return problem_response(status=403, code="csrf_failed", detail=CSRF_FAILED)
        return problem_response(status=status, code=f"http_{status}", detail=TITLES.get(status, "") or str(exc))
