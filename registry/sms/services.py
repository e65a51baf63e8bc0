import datetime as dt
import time

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from registry.core.jobs import enqueue
from registry.core.outbox import claimable, finish, retry_delay

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


def sms_enqueue_many(*, messages: list[tuple[str, str]], purpose: str) -> list[int]:
    """Queue many text messages (phone, text) at once — a notice's SMS channel. Rows are written
    in one INSERT; after the transaction commits they are handed to background jobs of
    SMS_DELIVERY_BATCH messages each. A batch the broker refuses stays queued for the requeue."""
    from .tasks import deliver_sms_batch

    created = SmsMessage.objects.bulk_create(
        SmsMessage(phone=phone, text=text, purpose=purpose) for phone, text in messages
    )
    ids = [message.pk for message in created]
    size = settings.SMS_DELIVERY_BATCH
    for start in range(0, len(ids), size):
        enqueue(deliver_sms_batch, ids[start : start + size], background=get_backend().remote)
    return ids


def deliver_batch(message_ids: list[int], *, budget_seconds: float = 60.0) -> int:
    """One attempt each, within a time budget. A message the gateway refused for now, or one not
    reached before the budget ran out, stays queued: the requeue job dispatches it again. Sending
    is exactly once per message whatever runs twice (deliver_once claims each row)."""
    started = time.monotonic()
    sent = 0
    for message_id in message_ids:
        if time.monotonic() - started > budget_seconds:
            break
        try:
            sent += deliver_once(message_id).status == SmsStatus.SENT
        except GatewayError:
            continue
    return sent


# A delivery attempt cannot outlive the task's hard time limit (its worker child is killed then), so
# a message `sending` for longer than this was left by a dead worker and may be taken over.
DELIVERY_TIME_LIMIT = 60
SENDING_STALE_SECONDS = DELIVERY_TIME_LIMIT + 30
# Queued this long without being sent: its job was lost (broker down at commit, worker crash).
QUEUED_STALE_SECONDS = 60
EXPIRED = "（验证码已过期，未发送）"


def deliver_once(message_id: int, *, redelivered: bool = False) -> SmsMessage:
    """One delivery attempt. Raises GatewayError when a retry may help (after recording the
    attempt). A message that is sent or failed is not sent again; one `sending` is left alone unless
    its attempt is known dead: the broker redelivered this job (its worker died: acks_late with
    reject_on_worker_lost, or the visibility timeout passed) or the claim is older than any attempt
    can live. A verification code whose lifetime has passed is not sent at all.

    The gateway is called outside any transaction: on SQLite an open write transaction would hold
    the whole database while a slow gateway answers."""
    now = timezone.now()
    # Conditional on the row as read: of two jobs for one message (a redelivery and a requeue),
    # exactly one claims it.
    message, unchanged = claimable(
        SmsMessage, message_id, now=now, redelivered=redelivered, stale_seconds=SENDING_STALE_SECONDS
    )
    if unchanged is None:
        return message
    if _code_expired(message, now):
        unchanged.update(status=SmsStatus.FAILED, last_error="code expired before delivery", text=EXPIRED, code="")
        message.refresh_from_db()
        return message
    claimed = unchanged.update(status=SmsStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    message.refresh_from_db()
    if not claimed:
        return message
    outgoing = Outgoing(
        phone=message.phone, purpose=message.purpose, text=message.text, code=message.code, message_id=message.pk
    )
    try:
        get_backend().send(outgoing)
    except GatewayRejected as exc:
        finish(message, status=SmsStatus.FAILED, last_error=str(exc)[:300])
    except GatewayError as exc:
        status = SmsStatus.FAILED if message.attempts >= MAX_ATTEMPTS else SmsStatus.QUEUED
        finish(message, status=status, last_error=str(exc)[:300])
        if status == SmsStatus.QUEUED:
            raise
    else:
        finish(message, status=SmsStatus.SENT, last_error="", sent_at=timezone.now(), text=REDACTED, code="")
    return message


def _code_expired(message: SmsMessage, now) -> bool:
    """A code arriving after its lifetime only confuses the person: better none than a dead one."""
    lifetime = dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    return bool(message.code) and message.created_at + lifetime <= now


def requeue_stale(*, older_than_seconds: int = QUEUED_STALE_SECONDS) -> int:
    """Messages a crashed worker or a broker outage left behind (queued without a job, or sending
    past any attempt's life) are dispatched again; codes past their lifetime are marked failed
    instead. Run every minute by Celery beat (config/celery.py) or `manage.py sms_requeue` (cron)."""
    from .tasks import deliver_sms

    now = timezone.now()
    code_deadline = now - dt.timedelta(seconds=settings.SMS_CODE_TTL_SECONDS)
    pending = SmsMessage.objects.filter(status__in=(SmsStatus.QUEUED, SmsStatus.SENDING))
    pending.exclude(code="").filter(created_at__lte=code_deadline).update(
        status=SmsStatus.FAILED, last_error="code expired before delivery", text=EXPIRED, code=""
    )
    stale = pending.filter(
        Q(status=SmsStatus.SENDING, claimed_at__lt=now - dt.timedelta(seconds=SENDING_STALE_SECONDS))
        | Q(status=SmsStatus.QUEUED, created_at__lt=now - dt.timedelta(seconds=older_than_seconds))
    )
    ids = list(stale.values_list("pk", flat=True)[:1000])
    backend = get_backend()
    for message_id in ids:  # a stale `sending` row is taken over by deliver_once (claim older than the limit)
        enqueue(deliver_sms, message_id, in_process=deliver_with_retries, background=backend.remote)
    return len(ids)


def deliver_with_retries(message_id: int, *, sleep=time.sleep) -> SmsMessage:
    """In-process delivery (no broker): retry with backoff until sent or out of attempts."""
    while True:
        try:
            return deliver_once(message_id)
        except GatewayError:
            attempts = SmsMessage.objects.values_list("attempts", flat=True).get(pk=message_id)
            sleep(retry_delay(attempts))
