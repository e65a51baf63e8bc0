"""Outgoing email: rows in the outbox, delivered by background jobs through Django's email
framework (EMAIL_BACKEND: files under VAR_DIR/mail in development and tests, SMTP in production).

The way of a message is the SMS outbox's (registry/sms/services.py), with the shared parts in
registry/core/outbox.py: written in the caller's transaction, handed to a job after it commits,
claimed by a conditional UPDATE (sent once whatever runs twice), retried by the scheduled requeue
until MAX_ATTEMPTS, then `failed`. The backend is called outside any transaction.
"""

import datetime as dt
import smtplib
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends import console, dummy, locmem
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from registry.core.jobs import enqueue
from registry.core.outbox import DeliveryStatus, claimable, finish

from .models import OutgoingEmail

MAX_ATTEMPTS = 4
# A batch job's hard time limit (tasks.py): its worker child is killed then, so a row `sending` for
# longer than SENDING_STALE_SECONDS was left by a dead worker and may be taken over.
DELIVERY_TIME_LIMIT = 110
SENDING_STALE_SECONDS = DELIVERY_TIME_LIMIT + 30
# Queued this long: its job was lost (broker down at commit, worker crash) or its attempt failed
# and waits for the next try. The requeue runs every minute: that is the pause between attempts.
QUEUED_STALE_SECONDS = 60
BATCH_BUDGET_SECONDS = 60.0
REQUEUE_LIMIT = 1000
# Backends that write locally: without a broker their jobs run inline, after the commit. Any other
# (SMTP) talks to a server: its jobs run on the in-process thread pool, never in the web request.
LOCAL_BACKENDS = (console.EmailBackend, dummy.EmailBackend, locmem.EmailBackend)  # filebased is a console one


class MailRetry(Exception):
    """The attempt failed in a way a later one may not (a timeout, a refused connection, 4xx)."""


def clean_address(value) -> str:
    """The address to write to, or "" when the person has none that could be used."""
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _remote() -> bool:
    return not issubclass(import_string(settings.EMAIL_BACKEND), LOCAL_BACKENDS)


def mail_enqueue_many(*, messages: list[tuple[str, str, str]], purpose: str) -> list[int]:
    """Queue many emails (address, subject, body) in one INSERT — a notice's email channel. After
    the transaction commits they go to background jobs of EMAIL_DELIVERY_BATCH messages each; a
    batch the broker refuses stays queued for the requeue."""
    created = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(to=to, subject=subject, body=body, purpose=purpose) for to, subject, body in messages
    )
    ids = [email.pk for email in created]
    _dispatch(ids)
    return ids


def _dispatch(ids: list[int]) -> None:
    from .tasks import deliver_email_batch

    size = settings.EMAIL_DELIVERY_BATCH
    for start in range(0, len(ids), size):
        enqueue(deliver_email_batch, ids[start : start + size], background=_remote())


def _permanent(exc: Exception) -> bool:
    """The server refused this message for good (5xx): another attempt would be refused too."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False  # our configuration, not the message: it may be fixed before the last attempt
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def deliver_once(email_id: int, *, connection=None, redelivered: bool = False) -> OutgoingEmail:
    """One delivery attempt. Raises MailRetry when a later attempt may help (after recording this
    one); after MAX_ATTEMPTS, or when the server refused the message for good, it is `failed`. A row
    sent or failed is not sent again; one `sending` only when its attempt is known dead."""
    now = timezone.now()
    email, claim = claimable(
        OutgoingEmail, email_id, now=now, redelivered=redelivered, stale_seconds=SENDING_STALE_SECONDS
    )
    if claim is None:
        return email
    claimed = claim.update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    email.refresh_from_db()
    if not claimed:
        return email
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        # One Message-ID per outbox row: a copy sent again after a worker died mid-call is the same
        # message to the receiving server and the reader's client.
        headers={"Message-ID": f"<registry-mail-{email.pk}-{int(email.created_at.timestamp())}@{DNS_NAME}>"},
    )
    try:
        if not (connection or get_connection()).send_messages([message]):
            raise MailRetry("the email backend sent nothing")
    except (smtplib.SMTPException, OSError, MailRetry) as exc:
        failed = _permanent(exc) or email.attempts >= MAX_ATTEMPTS
        error = f"{type(exc).__name__}: {exc}"[:300]
        if failed:
            finish(email, status=DeliveryStatus.FAILED, last_error=error, body="")
        else:
            finish(email, status=DeliveryStatus.QUEUED, last_error=error)
            raise MailRetry(error) from exc
    else:
        finish(email, status=DeliveryStatus.SENT, last_error="", sent_at=timezone.now(), body="")
    return email


def _quietly(action) -> None:
    try:
        action()
    except (smtplib.SMTPException, OSError):
        pass  # the next send opens again, and records its failure as that message's attempt


def deliver_batch(email_ids: list[int], *, budget_seconds: float = BATCH_BUDGET_SECONDS) -> int:
    """One attempt each over one connection, within a time budget; returns how many were sent by
    this run. A message whose attempt failed for now, or one not reached before the budget ran out,
    stays queued for the requeue."""
    started, since = time.monotonic(), timezone.now()
    connection = get_connection()
    # A server's connection is opened once for the batch; a local backend opens as it writes (the
    # file backend would leave an empty file for a batch with nothing left to send).
    keep_open = _remote()
    if keep_open:
        _quietly(connection.open)
    sent = 0
    try:
        for email_id in email_ids:
            if time.monotonic() - started > budget_seconds:
                break
            try:
                email = deliver_once(email_id, connection=connection)
                sent += email.status == DeliveryStatus.SENT and email.sent_at >= since
            except MailRetry:
                _quietly(connection.close)  # a broken SMTP session is not reused
                if keep_open:
                    _quietly(connection.open)
    finally:
        _quietly(connection.close)
    return sent


def requeue_stale(*, older_than_seconds: int = QUEUED_STALE_SECONDS) -> int:
    """Emails a lost job, a crashed worker or a failed attempt left behind are dispatched again
    (a stale `sending` row is taken over by deliver_once: its claim is older than any attempt can
    live). Every minute by Celery beat or `manage.py run_due_jobs` (config/celery.py)."""
    now = timezone.now()
    stale = OutgoingEmail.objects.filter(
        Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - dt.timedelta(seconds=SENDING_STALE_SECONDS))
        | Q(status=DeliveryStatus.QUEUED, created_at__lt=now - dt.timedelta(seconds=older_than_seconds))
    )
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:REQUEUE_LIMIT])
    _dispatch(ids)
    return len(ids)
