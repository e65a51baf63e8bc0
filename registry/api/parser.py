"""The API's JSON body parser: ninja's, with answers for people.

ninja turns any exception of its parser into HttpError(400, "Cannot parse request body (…)"), in
English; errors.on_http_error finds an UnreadableBody as that error's cause and answers with its
Chinese message instead. A lone UTF-16 surrogate (a `\\ud800` escape without its pair) is valid JSON
but no text a database can store (SQLite and PostgreSQL both fail on it with a 500): it is refused
here, before any view sees it, like a NUL character (middleware.RejectNulCharactersMiddleware)."""

import json
import re

from ninja.parser import Parser

# A \\uD800–\\uDFFF escape: only bodies that have one are checked for an unpaired one (the check
# encodes the parsed body once more, so ordinary requests skip it).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class UnreadableBody(ValueError):
    """A request body the API cannot read; the message says why, in Chinese."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def _has_lone_surrogate(data) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class RegistryParser(Parser):
    def parse_body(self, request):
        body = request.body
        try:
            data = json.loads(body)
        except UnicodeDecodeError:
            raise UnreadableBody("请求内容须为 UTF-8 编码的 JSON。", code="invalid_json") from None
        except json.JSONDecodeError as exc:
            raise UnreadableBody(
                f"请求内容不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有误），请检查格式后重试。",
                code="invalid_json",
            ) from None
        if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(data):
            raise UnreadableBody(
                "请求中含有无效的 Unicode 字符（不成对的代理项 \\ud800–\\udfff），请检查文字编码后重试。",
                code="invalid_format",
            )
        return data
