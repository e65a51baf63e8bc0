import time

from django.db import transaction
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
    attempt). Idempotent: a sent or failed message is not sent again."""
    retryable = None
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().get(pk=message_id)
        if message.status != SmsStatus.QUEUED:
            return message
        message.attempts += 1
        outgoing = Outgoing(phone=message.phone, purpose=message.purpose, text=message.text, code=message.code)
        try:
            get_backend().send(outgoing)
        except GatewayRejected as exc:
            message.status, message.last_error = SmsStatus.FAILED, str(exc)[:300]
        except GatewayError as exc:
            message.last_error = str(exc)[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = SmsStatus.FAILED
            else:
                retryable = exc
        else:
            message.status, message.sent_at, message.last_error = SmsStatus.SENT, timezone.now(), ""
            message.text, message.code = REDACTED, ""
        message.save()
    if retryable is not None:
        raise retryable  # outside the transaction, so the attempt stays recorded
    return message


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
