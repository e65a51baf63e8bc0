"""Publishing notices. A notice is written at once (with its audience and the number it reaches);
the people are added to it afterwards in batches (`notice_fan_out_batch`, one short transaction
each, resumable from `cursor`), so a notice to 500,000 people neither blocks the request that
publishes it nor holds a transaction for minutes. With the SMS and email channels each batch also
writes its messages into the SMS and email outboxes, delivered by background jobs after the batch
commits (docs/decisions/0018-email-channel.md)."""

import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from registry.accounts import access
from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.core.jobs import enqueue
from registry.mail.services import clean_address, mail_enqueue_many
from registry.sms.services import sms_enqueue_many

from .audiences import NOTICE_KINDS, audience_batch, audience_clean, audience_label, audience_people
from .models import Notice, NoticeRecipient, NoticeStatus
from .selectors import UNREAD, sender_of

CHANNELS = ("inbox", "sms", "email")
# Without a broker the publishing request itself adds this many batches; the scheduled job
# (run_due_jobs → publish_due_notices) adds the rest.
INLINE_BATCHES = 2
TASK_BUDGET_SECONDS = 50.0


def _require_staff(actor) -> None:
    if not access.is_staff_member(actor):
        raise ServiceError("forbidden", "仅区财政局审核员和市财政局管理员可以发布通知。", status=403)


def _clean_text(value: str, *, field: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError("required", f"请填写{what}", field=field)
    if len(value) > limit:
        raise ServiceError("too_long", f"{what}最多 {limit} 个字", field=field)
    return value


def _clean_channels(channels) -> list[str]:
    channels = list(channels or ["inbox"])
    if not set(channels) <= set(CHANNELS):
        raise ServiceError(
            "unknown_code", "发送渠道只能是 inbox（站内通知）、sms（短信）和 email（电子邮件）", field="channels"
        )
    # The SMS and the email point to the inbox, the record of what was sent: it always goes.
    return ["inbox"] + [channel for channel in ("sms", "email") if channel in channels]


def notice_publish(
    *, actor, title: str, body: str, audience: dict, channels=("inbox",), publish_at=None, campaign_id=None, ip=None
) -> Notice:
    """Publish now (or at `publish_at`). `actor` None: the system (a campaign's reminder)."""
    if actor is not None:
        _require_staff(actor)
    title = _clean_text(title, field="title", what="标题", limit=100)
    body = _clean_text(body, field="body", what="正文", limit=5000)
    channels = _clean_channels(channels)
    audience = audience_clean(actor=actor, audience=audience, kinds=NOTICE_KINDS)
    now = timezone.now()
    due = publish_at is None or publish_at <= now
    recipients = len(audience["user_ids"]) if audience["kind"] == "id_list" else audience_people(audience).count()
    with transaction.atomic():
        notice = Notice.objects.create(
            title=title,
            body=body,
            audience=audience,
            audience_label=audience_label(audience),
            channels=channels,
            status=NoticeStatus.PUBLISHING if due else NoticeStatus.SCHEDULED,
            publish_at=now if due else publish_at,
            published_at=now if due else None,
            recipients=recipients,
            campaign_id=campaign_id,
            created_by=actor,
        )
        audit_record(
            action="notice.publish",
            actor=actor,
            target=notice,
            ip=ip,
            district=audience["districts"][0] if len(audience.get("districts", [])) == 1 else "",
            details={
                "title": title,
                "audience": {k: v for k, v in audience.items() if k != "user_ids"},
                "channels": channels,
                "recipients": recipients,
                "publish_at": notice.publish_at.isoformat(),
            },
        )
        if due:
            start_fan_out(notice.pk)
    return notice


def start_fan_out(notice_id) -> None:
    from .tasks import fan_out_notice

    enqueue(fan_out_notice, str(notice_id), in_process=_fan_out_inline)


def _fan_out_inline(notice_id: str) -> None:
    notice_fan_out(notice_id, max_batches=INLINE_BATCHES)


class _Overtaken(Exception):
    """Another runner moved this notice's fan-out on meanwhile: this batch rolls back."""


def sms_text(notice: Notice) -> str:
    return f"【{settings.REGISTRY_BUREAU_NAME}】{notice.title}。详情请登录会计人员信息管理系统查看通知。"


def email_body(notice: Notice) -> str:
    return (
        f"{notice.body}\n\n"
        f"请登录会计人员信息管理系统，在“我的通知”中阅读本通知。\n"
        f"{sender_of(notice)}（本邮件由系统自动发送，请勿回复）"
    )


def _emails(notice: Notice, people) -> dict[int, int]:
    """The notice's email to each person of the batch with an address: user id → outbox row."""
    addressed = [(user_id, address) for user_id, _, email in people if (address := clean_address(email))]
    body = email_body(notice)
    ids = mail_enqueue_many(messages=[(address, notice.title, body) for _, address in addressed], purpose="notice")
    return dict(zip((user_id for user_id, _ in addressed), ids, strict=True))


def notice_fan_out_batch(*, notice_id) -> bool:
    """Add the next batch of people to a notice's inbox (and its SMS and email to the outboxes;
    someone without an email address gets none). Returns True
    when nothing is left to do. Idempotent and safe to run twice at once: the batch commits only
    if the cursor it started from is still the notice's."""
    size = settings.NOTICE_FANOUT_BATCH
    try:
        with transaction.atomic():
            notice = Notice.objects.select_for_update().get(pk=notice_id)
            if notice.status == NoticeStatus.PUBLISHED:
                return True
            now = timezone.now()
            if notice.status == NoticeStatus.SCHEDULED and notice.publish_at > now:
                return True
            people = audience_batch(notice.audience, after=notice.cursor, size=size, emails=notice.sends_email)
            sms, emails = {}, {}
            if people and notice.sends_sms:
                text = sms_text(notice)
                ids = sms_enqueue_many(messages=[(phone, text) for _, phone, _ in people], purpose="notice")
                sms = dict(zip((user_id for user_id, _, _ in people), ids, strict=True))
            if people and notice.sends_email:
                emails = _emails(notice, people)
            NoticeRecipient.objects.bulk_create(
                NoticeRecipient(
                    notice_id=notice.pk, user_id=user_id, sms_id=sms.get(user_id), email_id=emails.get(user_id)
                )
                for user_id, _, _ in people
            )
            done = len(people) < size
            fields = {
                "cursor": people[-1][0] if people else notice.cursor,
                "fanned_out": F("fanned_out") + len(people),
                "status": NoticeStatus.PUBLISHED if done else NoticeStatus.PUBLISHING,
                "published_at": notice.published_at or now,
            }
            if done:
                fields.update(finished_at=now, recipients=notice.fanned_out + len(people))
            moved = Notice.objects.filter(pk=notice.pk, cursor=notice.cursor, status=notice.status).update(**fields)
            if not moved:
                raise _Overtaken
            if done:
                audit_record(
                    action="notice.published",
                    target=notice,
                    details={
                        "recipients": notice.fanned_out + len(people),
                        "sms": notice.sends_sms,
                        "email": notice.sends_email,
                    },
                )
            return done
    except _Overtaken:
        return False


def notice_fan_out(notice_id, *, max_batches: int | None = None, budget_seconds: float | None = None) -> bool:
    """Batches until done, `max_batches` ran or `budget_seconds` passed. Returns True when done."""
    started, batches = time.monotonic(), 0
    while True:
        if notice_fan_out_batch(notice_id=notice_id):
            return True
        batches += 1
        if max_batches is not None and batches >= max_batches:
            return False
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            return False


def publish_due(*, budget_seconds: float = TASK_BUDGET_SECONDS) -> int:
    """The scheduled job: start notices whose time has come and carry on fan-outs left unfinished
    (no broker, a lost job, a crash). Returns how many notices it worked on."""
    started = time.monotonic()
    pending = Notice.objects.filter(status__in=[NoticeStatus.SCHEDULED, NoticeStatus.PUBLISHING]).filter(
        publish_at__lte=timezone.now()
    )
    worked = 0
    for notice_id in pending.order_by("publish_at").values_list("pk", flat=True)[:100]:
        left = budget_seconds - (time.monotonic() - started)
        if left <= 0:
            break
        worked += 1
        notice_fan_out(notice_id, budget_seconds=left)
    return worked


def notice_mark_read(*, notice_id, user) -> None:
    """The person read it (idempotent); 404 for a notice that did not reach them."""
    entry = NoticeRecipient.objects.filter(notice_id=notice_id, user=user).only("pk", "read_at").first()
    if entry is None:
        raise ServiceError("not_found", "未找到该通知。", status=404)
    if entry.read_at is None:
        NoticeRecipient.objects.filter(pk=entry.pk, read_at__isnull=True).update(read_at=timezone.now())
        getattr(user, "session_values", {}).pop(UNREAD, None)  # the count read with the session is one too many
