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
