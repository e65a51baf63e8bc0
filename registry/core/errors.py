"""Domain errors raised by services. Web views and the API both turn them into messages for people
(Chinese `message`) and programs (stable `code`, HTTP `status`)."""

import math


class ServiceError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class Conflict(ServiceError):
    status = 409


class RateLimited(ServiceError):
    status = 429

    def __init__(self, code: str, message: str, *, retry_after: int):
        super().__init__(code, message)
        self.retry_after = max(1, math.ceil(retry_after))  # never tell a client to come back too early


# What pydantic says about a value of the wrong shape, in words for people (its own `msg` is English).
_INPUT_MESSAGES = {
    "string_type": "须为文本",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "int_parsing_size": "数值过大",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "decimal_type": "须为数字",
    "decimal_parsing": "须为数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "list_type": "须为数组（列表）",
    "tuple_type": "须为数组（列表）",
    "set_type": "须为数组（列表）",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "date_type": "日期格式须为 YYYY-MM-DD",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式须为 YYYY-MM-DD",
    "datetime_type": "时间格式须为 ISO 8601（如 2026-01-31T09:00:00+08:00）",
    "datetime_parsing": "时间格式须为 ISO 8601（如 2026-01-31T09:00:00+08:00）",
    "datetime_from_date_parsing": "时间格式须为 ISO 8601（如 2026-01-31T09:00:00+08:00）",
    "literal_error": "只能是 {expected}",
    "enum": "只能是 {expected}",
    "uuid_type": "须为有效的编号",
    "uuid_parsing": "须为有效的编号",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须不大于 {le}",
    "extra_forbidden": "不允许的字段",
    "none_required": "须为空（null）",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
}


def input_error_message(error: dict) -> str:
    """A Chinese message for one pydantic error (`type`, `ctx`), never its English `msg`:
    "格式不正确：须为整数". Unknown kinds say only "格式不正确"."""
    template = _INPUT_MESSAGES.get(error.get("type", ""))
    if template is None:
        return "格式不正确"
    ctx = {key: str(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        text = template.format(**ctx)
    except (KeyError, IndexError):
        text = template.split("{", 1)[0].strip() or "格式不正确"
    return text if text == "格式不正确" else f"格式不正确：{text}"
