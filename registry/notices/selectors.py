from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Count

from registry.accounts import access
from registry.accounts.models import Role
from registry.core import prepared, refdata
from registry.core.masking import mask_email, mask_phone
from registry.core.outbox import DeliveryStatus

from .models import Notice, NoticeRecipient


@dataclass
class InboxPage:
    results: list[NoticeRecipient]
    next: str | None
    unread: int


_unread_sql: dict[str, str] = {}
UNREAD = "unread_notices"  # the count's name among the web session's values (accounts.identity)


def unread_expression(connection, user_id: str) -> str:
    """The unread count of the user whose id the SQL `user_id` gives, as an SQL expression: read with
    the web session's user, so the header's count costs no statement of its own."""
    q, meta = connection.ops.quote_name, NoticeRecipient._meta
    return (
        f"(SELECT COUNT(*) FROM {q(meta.db_table)} n WHERE n.{q(meta.get_field('user').column)} = {user_id}"
        f" AND n.{q(meta.get_field('read_at').column)} IS NULL)"
    )


def unread_count(user) -> int:
    """The person's unread notices (every applicant page's header): a statement written once per
    database, as `NoticeRecipient.objects.filter(user=user, read_at__isnull=True).count()` reads
    it — the ORM's building and compiling of that count cost several times running it."""
    if not access.is_active_user(user):
        return 0
    known = getattr(user, "session_values", {}).get(UNREAD)  # read with the session, this request
    if known is not None:
        return known
    using = router.db_for_read(NoticeRecipient)
    sql = _unread_sql.get(using)
    if sql is None:
        q = connections[using].ops.quote_name
        meta = NoticeRecipient._meta
        sql = _unread_sql[using] = (
            f"SELECT COUNT(*) FROM {q(meta.db_table)} WHERE {q(meta.get_field('user').column)} = %s"
            f" AND {q(meta.get_field('read_at').column)} IS NULL"
        )
    with connections[using].cursor() as cursor:
        prepared.execute(cursor, sql, [user.pk])
        return cursor.fetchone()[0]


def inbox(user, *, cursor: str | None = None, limit: int = 20) -> InboxPage:
    """The person's notices, newest first (keyset on the inbox row id). A bad cursor: ValueError."""
    rows = NoticeRecipient.objects.filter(user=user).select_related("notice__created_by").order_by("-pk")
    if cursor:
        rows = rows.filter(pk__lt=int(cursor))
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return InboxPage(results=page, next=str(page[-1].pk) if more else None, unread=unread_count(user))


def inbox_entry(user, notice_id) -> NoticeRecipient | None:
    try:
        return (
            NoticeRecipient.objects.select_related("notice__created_by").filter(user=user, notice_id=notice_id).first()
        )
    except (ValueError, TypeError, ValidationError):  # a malformed id is just "not found"
        return None


def notices_for_staff(actor):
    """Admins see every notice; a district reviewer the ones they published."""
    if access.is_admin(actor):
        return Notice.objects.all()
    if access.is_reviewer(actor):
        return Notice.objects.filter(created_by=actor)
    return Notice.objects.none()


def _delivery(deliveries, channel: str, *, address: str, key: str, mask) -> tuple[dict, list[dict]]:
    """A channel's outbox rows of this notice counted by status, and the first 50 people whose
    message failed (masked address)."""
    counts = {status: 0 for status in DeliveryStatus.values}
    for row in deliveries.filter(**{f"{channel}__isnull": False}).values(f"{channel}__status").annotate(n=Count("pk")):
        counts[row[f"{channel}__status"]] = row["n"]
    failed = [
        {"name": name, key: mask(value), "error": error}
        for name, value, error in deliveries.filter(**{f"{channel}__status": DeliveryStatus.FAILED})
        .order_by("pk")
        .values_list("user__name", f"{channel}__{address}", f"{channel}__last_error")[:50]
    ]
    return counts, failed


def notice_progress(notice: Notice) -> dict:
    """What the publisher sees: how far the fan-out is, how many read, SMS and email delivery by
    status (email also: the people without an address) and the people whose message failed
    (masked phone or address)."""
    deliveries = NoticeRecipient.objects.filter(notice=notice)
    sms, sms_failed, email, email_failed = {}, [], {}, []
    if notice.sends_sms:
        sms, sms_failed = _delivery(deliveries, "sms", address="phone", key="phone", mask=mask_phone)
    if notice.sends_email:
        email, email_failed = _delivery(deliveries, "email", address="to", key="email", mask=mask_email)
        email["no_address"] = deliveries.filter(email__isnull=True).count()
    return {
        "id": str(notice.pk),
        "title": notice.title,
        "status": notice.status,
        "status_label": notice.get_status_display(),
        "audience": notice.audience_label,
        "channels": notice.channels,
        "publish_at": notice.publish_at,
        "finished_at": notice.finished_at,
        "recipients": notice.recipients,
        "fanned_out": notice.fanned_out,
        "read": deliveries.filter(read_at__isnull=False).count(),
        "sms": sms,
        "sms_failed": sms_failed,
        "email": email,
        "email_failed": email_failed,
    }


def sender_of(notice: Notice) -> str:
    """Who a person is told a notice comes from: the district bureau(s) a district reviewer published
    it for (their audience is always their districts), else the city's bureau (an admin, or the
    system's campaign reminders). Read with `notice__created_by` selected."""
    author = notice.created_by  # by role, not by is_active: a notice keeps its sender
    if author is None or author.is_superuser or author.role != Role.REVIEWER:
        return settings.REGISTRY_BUREAU_NAME
    names = []
    for code in notice.audience.get("districts") or []:
        region = refdata.region(code)
        name = region and refdata.bureau_of(region)
        if name and name not in names:
            names.append(name)
    return "、".join(names) or settings.REGISTRY_BUREAU_NAME
