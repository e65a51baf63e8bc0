"""A request id on every response (X-Request-ID) and in every log record written while serving it,
so a user's "error 500 at 10:32" can be found in the logs by the id their proxy or browser saw."""

import contextvars
import logging
import re
import uuid

from django.conf import settings

HEADER = "X-Request-ID"
# Only ids our own proxy could have made: no spaces or newlines that would forge log lines.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _current.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE, so the id is set while Django logs a 500 further in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _incoming_id(request) or uuid.uuid4().hex
        token = _current.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request.request_id
        return response


def _incoming_id(request) -> str | None:
    """The proxy's id, believed only from REGISTRY_TRUSTED_PROXIES (anyone else could choose it)."""
    if request.META.get("REMOTE_ADDR") not in settings.REGISTRY_TRUSTED_PROXIES:
        return None
    value = request.META.get("HTTP_X_REQUEST_ID", "")
    return value if _ACCEPTED.fullmatch(value) else None


class RequestIdFilter(logging.Filter):
    """Puts `request_id` on each record the handler formats ("-" outside a request)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _current.get()
        return True


def install_log_record_factory() -> None:
    """Every record gets the id when it is created, so handlers without the filter (pytest's
    caplog, a mail handler) see it too."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = _current.get()
        return record

    factory.adds_request_id = True
    logging.setLogRecordFactory(factory)


# --- Background work: the id travels with the task, so a worker's log lines of a job that a request
# enqueued carry that request's id (an SMS that failed can be traced back to the click that sent it).
TASK_HEADER = "request_id"


def add_to_task_headers(headers=None, **kwargs) -> None:
    """Celery `before_task_publish`: the id of the request (or task) that enqueues, in the message."""
    current = _current.get()
    if headers is not None and current != "-" and TASK_HEADER not in headers:
        headers[TASK_HEADER] = current


def adopt_from_task(task=None, **kwargs) -> None:
    """Celery `task_prerun`: the worker takes the enqueuing request's id for this task's log lines."""
    carried = getattr(getattr(task, "request", None), TASK_HEADER, None)
    _current.set(carried if isinstance(carried, str) and _ACCEPTED.fullmatch(carried) else "-")


def forget_after_task(**kwargs) -> None:
    """Celery `task_postrun`: the next task on this worker starts without it."""
    _current.set("-")
