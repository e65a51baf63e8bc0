"""Campaign use cases: open (tasks for everyone in scope, created in batches), answer (confirm, or
a change application), remind, close at the deadline (mark non-responders), clear on a late answer.

Marks go on the record through `records.record_set_status` (audited, with the campaign as reason).
A record may carry marks of several campaigns; its status is the most severe mark still in force
(冻结 over 异常), and a late answer clears only the mark its own campaign set."""

import datetime as dt
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from registry.accounts import access
from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.core.jobs import enqueue
from registry.notices.audiences import CAMPAIGN_KINDS, audience_clean, audience_label, audience_people
from registry.notices.services import notice_publish
from registry.records.models import Record, RecordStatus
from registry.records.services import record_set_status

from .models import Answer, Campaign, CampaignStatus, CampaignTarget, NoResponse
from .selectors import answered_by_change, answered_late_by_change

SEVERITY = {RecordStatus.NORMAL: 0, RecordStatus.ABNORMAL: 1, RecordStatus.FROZEN: 2}
CLOSE_BATCH = 500
INLINE_SECONDS = 10.0
TASK_BUDGET_SECONDS = 50.0
# The national rule offered as a template: no update for three years → 异常.
THREE_YEARS_TEMPLATE = {
    "name": "三年未更新信息人员核查",
    "scope": {"kind": "no_update_years", "years": 3},
    "on_no_response": NoResponse.ABNORMAL,
}


def _require_admin(actor) -> None:
    if not access.is_admin(actor):
        raise ServiceError("forbidden", "仅市财政局管理员可以发起和截止集中核查。", status=403)


def campaign_open(
    *, actor, name: str, scope: dict, deadline: dt.date, on_no_response: str, remind_days: int = 7, ip=None
) -> Campaign:
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError("required", "请填写核查名称（100 字以内）", field="name")
    if deadline <= timezone.localdate():
        raise ServiceError("deadline_past", "截止日期须晚于今天", field="deadline")
    if on_no_response not in NoResponse.values:
        raise ServiceError("unknown_code", "逾期处理只能是 abnormal（异常）或 frozen（冻结）", field="on_no_response")
    if not 0 <= int(remind_days) <= 60:
        raise ServiceError("out_of_range", "提醒天数须在 0 至 60 之间", field="remind_days")
    scope = audience_clean(actor=actor, audience=scope, kinds=CAMPAIGN_KINDS)
    in_scope = audience_people(scope).count()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            scope=scope,
            scope_label=audience_label(scope),
            deadline=deadline,
            on_no_response=on_no_response,
            remind_days=remind_days,
            in_scope=in_scope,
            created_by=actor,
        )
        audit_record(
            action="campaign.open",
            actor=actor,
            target=campaign,
            ip=ip,
            details={"name": name, "scope": scope, "deadline": deadline, "on_no_response": on_no_response},
        )
        from .tasks import create_campaign_tasks

        enqueue(create_campaign_tasks, str(campaign.pk), in_process=_tasks_inline)
    return campaign


def _tasks_inline(campaign_id: str) -> None:
    started = time.monotonic()
    while not campaign_tasks_batch(campaign_id=campaign_id) and time.monotonic() - started < INLINE_SECONDS:
        pass


def campaign_tasks_batch(*, campaign_id) -> bool:
    """Give the next batch of people in scope their task. True when everyone has one."""
    size = settings.NOTICE_FANOUT_BATCH
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.tasks_created:
            return True
        people = list(
            audience_people(campaign.scope)
            .filter(user_id__gt=campaign.cursor)
            .order_by("user_id")
            .values_list("pk", "user_id", "district_id")[:size]
        )
        CampaignTarget.objects.bulk_create(
            CampaignTarget(campaign=campaign, record_id=pk, user_id=user_id, district_id=district)
            for pk, user_id, district in people
        )
        done = len(people) < size
        fields = {"cursor": people[-1][1] if people else campaign.cursor, "tasks_created": done}
        if done:
            fields["in_scope"] = CampaignTarget.objects.filter(campaign=campaign).count()
        if not Campaign.objects.filter(pk=campaign.pk, cursor=campaign.cursor).update(**fields):
            transaction.set_rollback(True)  # another runner did this batch
            return False
        return done


def _restore_after_clear(target: CampaignTarget, *, reason: str) -> None:
    """The record's status after one campaign's mark is lifted: the most severe mark still in
    force, or 正常. Statuses no campaign sets (调出中, 已调出) are left alone."""
    record = Record.objects.select_for_update().get(pk=target.record_id)
    if record.status not in (RecordStatus.ABNORMAL, RecordStatus.FROZEN):
        return
    remaining = CampaignTarget.objects.filter(
        record_id=record.pk, marked_at__isnull=False, cleared_at__isnull=True
    ).values_list("mark", flat=True)
    wanted = max(remaining, key=lambda m: SEVERITY.get(m, 0), default=RecordStatus.NORMAL)
    if wanted != record.status:
        record_set_status(record=record, status=wanted, reason=reason)


def campaign_confirm(*, campaign_id, actor, ip=None) -> CampaignTarget:
    """信息无变化，确认. Idempotent; a late answer clears this campaign's mark (only this one)."""
    with transaction.atomic():
        try:
            target = (
                CampaignTarget.objects.select_for_update()
                .select_related("campaign")
                .filter(campaign_id=campaign_id, user=actor)
                .first()
            )
        except (ValueError, TypeError, ValidationError):  # a malformed id is just "not found"
            target = None
        if target is None:
            raise ServiceError("not_found", "未找到该核查任务。", status=404)
        if target.answered_at is not None:
            return target
        _answer(target, Answer.CONFIRM, actor=actor, ip=ip)
    return target


def _answer(target: CampaignTarget, answer: str, *, actor, ip=None) -> None:
    """Write the answer down (target locked by the caller); a late one lifts this campaign's mark."""
    now = timezone.now()
    late = target.mark_in_force
    CampaignTarget.objects.filter(pk=target.pk).update(
        answered_at=now, answer=answer, cleared_at=now if late else target.cleared_at
    )
    target.refresh_from_db()
    if late:
        how = "补充确认" if answer == Answer.CONFIRM else "通过信息变更补充答复"
        _restore_after_clear(target, reason=f"集中核查“{target.campaign.name}”已{how}，解除该核查的标注")
    audit_record(
        action="campaign.answer",
        actor=actor,
        target=target.campaign,
        ip=ip,
        district=target.district_id,
        details={"answer": answer, "record": target.record_id, "late": late},
    )


def late_change_answers_clear(*, limit: int = CLOSE_BATCH) -> int:
    """A change filed after the deadline answers the campaign late, as a confirmation does: the
    answer is written down and this campaign's mark lifted, for closed campaigns too. Up to
    `limit` a run (the scheduled job comes back); returns how many were answered."""
    answered = 0
    for target_id in answered_late_by_change(CampaignTarget.objects.all()).values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            target = CampaignTarget.objects.select_for_update().select_related("campaign").get(pk=target_id)
            if target.answered_at is None:
                _answer(target, Answer.CHANGE, actor=target.user)
                answered += 1
    return answered


def _sweep_change_answers(campaign: Campaign) -> int:
    return answered_by_change(CampaignTarget.objects.filter(campaign=campaign)).update(
        answered_at=timezone.now(), answer=Answer.CHANGE
    )


def _mark_batch(campaign: Campaign) -> bool:
    """Mark the next batch of non-responders. True when none is left."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        targets = list(
            CampaignTarget.objects.select_for_update()
            .filter(campaign=locked, pk__gt=locked.close_cursor, answered_at__isnull=True, marked_at__isnull=True)
            .order_by("pk")[:CLOSE_BATCH]
        )
        mark = locked.on_no_response
        reason = f"未在截止日期（{locked.deadline:%Y-%m-%d}）前答复集中核查“{locked.name}”（{locked.pk}）"
        now = timezone.now()
        marked = []
        for target in targets:
            record = Record.objects.select_for_update().get(pk=target.record_id)
            if record.status not in SEVERITY:
                continue  # 调出中 / 已调出: no longer ours to mark
            if SEVERITY[mark] > SEVERITY[record.status]:
                record_set_status(record=record, status=mark, reason=reason)
            marked.append(target.pk)
        CampaignTarget.objects.filter(pk__in=marked).update(marked_at=now, mark=mark)
        if targets:
            Campaign.objects.filter(pk=locked.pk).update(close_cursor=targets[-1].pk)
        return len(targets) < CLOSE_BATCH


def campaign_close_run(campaign_id, *, budget_seconds: float) -> bool:
    """What the deadline does (and `close`): finish the tasks, write down change answers, mark who
    did not answer, in batches. Idempotent: a closed campaign is left as it is. True when closed."""
    started = time.monotonic()
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status == CampaignStatus.CLOSED:
        return True
    while not campaign_tasks_batch(campaign_id=campaign.pk):
        if time.monotonic() - started > budget_seconds:
            return False
    Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN).update(status=CampaignStatus.CLOSING)
    _sweep_change_answers(campaign)
    while not _mark_batch(campaign):
        if time.monotonic() - started > budget_seconds:
            return False
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.CLOSING).update(
            status=CampaignStatus.CLOSED, closed_at=timezone.now()
        ):
            return True  # another runner finished it
        targets = CampaignTarget.objects.filter(campaign=campaign)
        audit_record(
            action="campaign.closed",
            target=campaign,
            details={
                "in_scope": targets.count(),
                "answered": targets.filter(answered_at__isnull=False).count(),
                "marked": targets.filter(marked_at__isnull=False).count(),
                "mark": campaign.on_no_response,
            },
        )
    return True


def campaign_close(*, actor, campaign_id, ip=None) -> Campaign:
    """POST …/close: the deadline now. Without a broker a large campaign finishes in the scheduled job."""
    _require_admin(actor)
    try:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
    except (ValueError, TypeError, ValidationError):
        campaign = None
    if campaign is None:
        raise ServiceError("not_found", "未找到该集中核查。", status=404)
    if campaign.status == CampaignStatus.OPEN:
        with transaction.atomic():
            if Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.OPEN).update(
                status=CampaignStatus.CLOSING
            ):
                audit_record(action="campaign.close", actor=actor, target=campaign, ip=ip, details={"early": True})
            from .tasks import close_campaign

            enqueue(close_campaign, str(campaign.pk), in_process=_close_inline)
    elif campaign.status == CampaignStatus.CLOSING:
        from .tasks import close_campaign

        enqueue(close_campaign, str(campaign.pk), in_process=_close_inline)
    campaign.refresh_from_db()
    return campaign


def _close_inline(campaign_id: str) -> None:
    campaign_close_run(campaign_id, budget_seconds=INLINE_SECONDS)


def _remind(campaign: Campaign, today: dt.date) -> bool:
    if campaign.reminded_at or today < campaign.deadline - dt.timedelta(days=campaign.remind_days):
        return False
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
            return False
        notice_publish(
            actor=None,
            title=f"请于 {campaign.deadline:%Y年%m月%d日} 前完成信息核查",
            body=(
                f"{campaign.name}：请登录会计人员信息管理系统，在首页“待办事项”中确认信息无变化，"
                f"或办理信息变更。逾期未答复的，人员信息将被{campaign.get_on_no_response_display()}。"
            ),
            audience={"kind": "campaign_nonresponders", "campaign": str(campaign.pk)},
            campaign_id=campaign.pk,
        )
    return True


def campaigns_tick(*, today: dt.date | None = None, budget_seconds: float = TASK_BUDGET_SECONDS) -> dict:
    """The scheduled job (config/celery.py): tasks still being created, reminders N days before
    the deadline, change applications written down as answers (a late one lifts its campaign's
    mark, closed campaigns included), closing after the deadline day.
    Running it twice changes nothing the second time."""
    today = today or timezone.localdate()
    started = time.monotonic()
    done = {"reminded": 0, "closed": 0}
    for campaign in Campaign.objects.exclude(status=CampaignStatus.CLOSED).order_by("deadline"):
        left = budget_seconds - (time.monotonic() - started)
        if left <= 0:
            break
        if campaign.status == CampaignStatus.CLOSING or campaign.deadline < today:
            done["closed"] += campaign_close_run(campaign.pk, budget_seconds=left)
            continue
        while not campaign_tasks_batch(campaign_id=campaign.pk):
            if time.monotonic() - started > budget_seconds:
                return done
        done["reminded"] += _remind(campaign, today)
        _sweep_change_answers(campaign)
    done["answered_late"] = late_change_answers_clear()
    return done
