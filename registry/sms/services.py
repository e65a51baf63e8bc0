import datetime as dt
import time

from django.db.models import F, Q
from django.utils import timezone

from registry.core.jobs import enqueue

from .backends import GatewayError, GatewayRejected, Outgoing, get_backend
from .models import SmsMessage, SmsStatus

MAX_ATTEMPTS = 4
REDACTED = "（已发送，内容已清除）"


def sms_enqueue(*, phone: str, text: str, purpose: str, code: str = "") -> SmsMessage:
    """Queue a text message; it is delivered by a background job after the transaction commits."""
    from .tasks import deliver_sms

    message = SmsMessage.objects.create(phone=phone, text=text, purpose=purpose, code=code)
    backend = get_backend()
    enqueue(deliver_sms, message.pk, in_process=deliver_with_retries, background=backend.remote)
    return message


def deliver_once(message_id: int) -> SmsMessage:
    """One delivery attempt. Raises GatewayError when a retry may help (after recording the
    attempt). Idempotent: a message that is sent, failed or being sent is not sent again.

    The gateway is called outside any transaction: on SQLite an open write transaction would hold
    the whole database while a slow gateway answers."""
    now = timezone.now()
    claimed = SmsMessage.objects.filter(pk=message_id, status=SmsStatus.QUEUED).update(
        status=SmsStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    message = SmsMessage.objects.get(pk=message_id)
    if not claimed:
        return message
    outgoing = Outgoing(phone=message.phone, purpose=message.purpose, text=message.text, code=message.code)
    try:
        get_backend().send(outgoing)
    except GatewayRejected as exc:
        _finish(message, status=SmsStatus.FAILED, last_error=str(exc)[:300])
    except GatewayError as exc:
        status = SmsStatus.FAILED if message.attempts >= MAX_ATTEMPTS else SmsStatus.QUEUED
        _finish(message, status=status, last_error=str(exc)[:300])
        if status == SmsStatus.QUEUED:
            raise
    else:
        _finish(message, status=SmsStatus.SENT, last_error="", sent_at=timezone.now(), text=REDACTED, code="")
    return message


def _finish(message: SmsMessage, **fields) -> None:
    SmsMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def requeue_stale(*, older_than_seconds: int = 600) -> int:
    """Messages a crashed worker left behind (sending for too long, or queued without a job after a
    restart) go back to the queue and are dispatched again. Run by `manage.py sms_requeue`."""
    from .tasks import deliver_sms

    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    stale = SmsMessage.objects.filter(
        Q(status=SmsStatus.SENDING, claimed_at__lt=cutoff) | Q(status=SmsStatus.QUEUED, created_at__lt=cutoff)
    )
    ids = list(stale.values_list("pk", flat=True)[:1000])
    SmsMessage.objects.filter(pk__in=ids, status=SmsStatus.SENDING).update(status=SmsStatus.QUEUED)
    backend = get_backend()
    for message_id in ids:
        enqueue(deliver_sms, message_id, in_process=deliver_with_retries, background=backend.remote)
    return len(ids)


def retry_delay(attempt: int) -> float:
    return min(30.0, 0.5 * 2 ** (attempt - 1))


def deliver_with_retries(message_id: int, *, sleep=time.sleep) -> SmsMessage:
    """In-process delivery (no broker): retry with backoff until sent or out of attempts."""
    while True:
        try:
            return deliver_once(message_id)
        except GatewayError:
            attempts = SmsMessage.objects.values_list("attempts", flat=True).get(pk=message_id)
            sleep(retry_delay(attempts))
