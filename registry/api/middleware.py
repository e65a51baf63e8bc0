from .errors import FieldProblem, problem_response


class RejectNulCharactersMiddleware:
    """A NUL character in JSON or a query string is never meaningful here, and PostgreSQL refuses
    it in text columns (a 500 deep inside a service). Refuse it at the door with a clear 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            query = request.META.get("QUERY_STRING", "")
            body = request.body if request.content_type == "application/json" else b""
            if "%00" in query or b"\\u0000" in body or b"\x00" in body:
                return problem_response(
                    status=400,
                    code="invalid_input",
                    detail="请求中含有不允许的控制字符（NUL）。",
                    errors=[FieldProblem("", "invalid_format", "请求中含有不允许的控制字符（NUL）")],
                )
        return self.get_response(request)
