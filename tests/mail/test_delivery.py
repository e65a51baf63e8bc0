"""The email outbox: Django's file backend really writes the message; a job run twice sends once;
a failure is tried again by the scheduled requeue and marked failed after MAX_ATTEMPTS (at once
when the server refuses for good); the requeue picks up a row whose job was lost."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from registry.core.outbox import DeliveryStatus
from registry.core.schedule import run_due_jobs
from registry.mail.models import OutgoingEmail
from registry.mail.services import MAX_ATTEMPTS, SENDING_STALE_SECONDS, deliver_once, mail_enqueue_many
from registry.mail.tasks import deliver_email_batch
from tests.mail.backends import DisconnectingBackend

pytestmark = pytest.mark.django_db

SUBJECT = "关于开展 2026 年度继续教育的通知"
BODY = "请于 12 月 31 日前完成继续教育学习。\n\n请登录会计人员信息管理系统查看。"


def queued(to="liming@example.com", **fields) -> OutgoingEmail:
    """A row as the fan-out writes it, whose job has not run (or was lost)."""
    return OutgoingEmail.objects.create(to=to, subject=SUBJECT, body=BODY, purpose="notice", **fields)


def age(email: OutgoingEmail, seconds: int = 120) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - dt.timedelta(seconds=seconds))


@pytest.fixture
def requeue(django_capture_on_commit_callbacks):
    """What cron (`manage.py run_due_jobs`) or beat does every minute; its jobs run after the commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            (result,) = run_due_jobs(only=["mail-requeue"], force=True)
        assert result.ok, result.error

    return run


def test_the_file_backend_writes_the_message_with_chinese_subject_and_utf8_body(
    mail_dir, settings, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "noreply@kjry.example.gov.cn"
    with django_capture_on_commit_callbacks(execute=True):  # delivered by the job after the commit
        (pk,) = mail_enqueue_many(messages=[("liming@example.com", SUBJECT, BODY)], purpose="notice")
    (message,) = mail_dir.messages()
    # Django folds the encoded subject onto the header's second line; the parser keeps that fold's space.
    assert message["Subject"].strip() == SUBJECT and message["To"] == "liming@example.com"
    assert message["From"] == "noreply@kjry.example.gov.cn"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == BODY
    assert f"registry-mail-{pk}-" in message["Message-ID"]
    raw = b"".join(path.read_bytes() for path in mail_dir.path.glob("*.log"))
    assert b"=?utf-8?" in raw  # the subject as RFC 2047 words, the body as UTF-8 text
    assert "请于 12 月 31 日前完成继续教育学习".encode() in raw
    email = OutgoingEmail.objects.get(pk=pk)
    assert email.status == DeliveryStatus.SENT and email.attempts == 1 and email.sent_at
    assert email.body == "" and email.subject == SUBJECT  # the text stays with the notice, not here


def test_a_job_run_twice_sends_once(mail_dir):
    email = queued()
    assert deliver_email_batch([email.pk]) == 1
    assert deliver_email_batch([email.pk]) == 0  # the broker redelivered it, or the requeue sent it again
    assert mail_dir.to() == ["liming@example.com"]
    assert OutgoingEmail.objects.get(pk=email.pk).attempts == 1
    assert [path.stat().st_size > 0 for path in mail_dir.path.iterdir()] == [True]  # no empty file either


def test_a_row_another_job_is_sending_is_left_to_it_until_that_attempt_must_be_dead(mail_dir, requeue):
    now = timezone.now()
    live = queued(status=DeliveryStatus.SENDING, claimed_at=now, attempts=1)
    assert deliver_once(live.pk).status == DeliveryStatus.SENDING  # not claimed twice
    assert mail_dir.messages() == []

    dead = queued(to="wang@example.com", status=DeliveryStatus.SENDING, attempts=1)
    OutgoingEmail.objects.filter(pk=dead.pk).update(claimed_at=now - dt.timedelta(seconds=SENDING_STALE_SECONDS + 1))
    age(dead)
    requeue()
    assert OutgoingEmail.objects.get(pk=dead.pk).status == DeliveryStatus.SENT
    assert OutgoingEmail.objects.get(pk=live.pk).status == DeliveryStatus.SENDING
    assert mail_dir.to() == ["wang@example.com"]


def test_the_requeue_sends_a_row_whose_job_was_lost_and_leaves_a_fresh_one_to_its_job(
    mail_dir, requeue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the broker refused: the job never ran
        lost, fresh = mail_enqueue_many(
            messages=[("lost@example.com", SUBJECT, BODY), ("fresh@example.com", SUBJECT, BODY)], purpose="notice"
        )
    OutgoingEmail.objects.filter(pk=lost).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    requeue()
    assert mail_dir.to() == ["lost@example.com"]
    assert OutgoingEmail.objects.get(pk=lost).status == DeliveryStatus.SENT
    assert OutgoingEmail.objects.get(pk=fresh).status == DeliveryStatus.QUEUED
    requeue()
    assert mail_dir.to() == ["lost@example.com"]  # not twice


@pytest.fixture
def disconnecting(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.mail.backends.DisconnectingBackend"
    monkeypatch.setattr(DisconnectingBackend, "calls", 0)
    return DisconnectingBackend


def test_a_dropped_connection_is_tried_again_by_the_requeue(disconnecting, requeue, monkeypatch):
    monkeypatch.setattr(disconnecting, "failures", 2)
    email = queued()
    assert deliver_email_batch([email.pk]) == 0
    email.refresh_from_db()
    assert email.status == DeliveryStatus.QUEUED and email.attempts == 1
    assert "SMTPServerDisconnected" in email.last_error and email.body == BODY  # kept for the next try
    age(email)
    requeue()
    assert OutgoingEmail.objects.get(pk=email.pk).attempts == 2
    requeue()
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.attempts == 3 and email.last_error == ""
    assert [m.to for m in mail.outbox] == [["liming@example.com"]]


def test_a_backend_that_keeps_failing_marks_the_email_failed_after_the_limit(disconnecting, requeue):
    email = queued()
    age(email)
    for _ in range(MAX_ATTEMPTS + 2):
        requeue()
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED and email.attempts == MAX_ATTEMPTS
    assert disconnecting.calls == MAX_ATTEMPTS and "SMTPServerDisconnected" in email.last_error
    assert email.body == "" and mail.outbox == []


def test_a_recipient_refused_for_good_fails_at_once(settings):
    settings.EMAIL_BACKEND = "tests.mail.backends.RefusingBackend"
    email = queued(to="nobody@example.com")
    assert deliver_email_batch([email.pk]) == 0
    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED and email.attempts == 1 and "550" in email.last_error


def test_an_smtp_server_is_written_to_off_the_request_thread(settings, monkeypatch):
    """Without a broker, a job for a local backend runs after the commit; one for SMTP goes to the
    in-process thread pool (registry.core.jobs), so a slow server never holds a web request."""
    from registry.mail import services

    dispatched = []
    monkeypatch.setattr(services, "enqueue", lambda task, ids, **kw: dispatched.append((len(ids), kw)))
    settings.EMAIL_DELIVERY_BATCH = 2
    messages = [(f"p{i}@example.com", SUBJECT, BODY) for i in range(3)]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    services.mail_enqueue_many(messages=messages, purpose="notice")
    assert dispatched == [(2, {"background": True}), (1, {"background": True})]
    dispatched.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    services.mail_enqueue_many(messages=messages[:1], purpose="notice")
    assert dispatched == [(1, {"background": False})]
