"""Notices, campaigns and integrity (API.md "Notices, campaigns, integrity (staff)"): the staff
side under /admin/…, the person's side under /me/…."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from registry.accounts import access
from registry.audit.services import audit_search, client_ip
from registry.campaigns import selectors as campaign_selectors
from registry.campaigns import services as campaign_services
from registry.core.masking import mask_id_number
from registry.integrity import selectors as integrity_selectors
from registry.integrity import services as integrity_services
from registry.integrity.models import IntegrityEntry
from registry.notices import selectors as notice_selectors
from registry.notices import services as notice_services

from .errors import ApiError
from .security import account_auth

router = Router(tags=["通知、核查与诚信"], auth=account_auth)


def _staff(request):
    return access.require_staff(request.auth)


# --- Notices ---------------------------------------------------------------------------------
class AudienceIn(Schema):
    kind: str
    districts: list[str] | None = None
    levels: list[str] | None = None
    year: int | None = None
    campaign: str | None = None
    id_numbers: list[str] | None = None  # kind "id_list": an uploaded list of ID numbers
    years: int | None = None  # campaigns, kind "no_update_years"


class NoticeIn(Schema):
    title: str
    body: str
    audience: AudienceIn
    channels: list[str] = Field(["inbox"], description='any of "inbox", "sms", "email"; the inbox always goes')
    publish_at: dt.datetime | None = None


class NoticeCreated(Schema):
    id: str
    recipients: int
    status: str
    unmatched: int | None = None  # kind "id_list": listed ID numbers that matched nobody in scope


class NoticeProgress(Schema):
    id: str
    title: str
    status: str
    status_label: str
    audience: str
    channels: list[str]
    publish_at: dt.datetime
    finished_at: dt.datetime | None
    recipients: int
    fanned_out: int
    read: int
    sms: dict[str, int]
    sms_failed: list[dict]
    email: dict[str, int] = Field(description="with the email channel: queued, sending, sent, failed, no_address")
    email_failed: list[dict]


class NoticeSummary(Schema):
    id: str
    title: str
    status: str
    audience: str
    publish_at: dt.datetime
    recipients: int


class InboxItem(Schema):
    id: str
    title: str
    body: str
    published_at: dt.datetime
    read: bool
    sender: str = Field(description="发布单位：区审核员发布的为其区财政局，否则为市财政局")


class InboxOut(Schema):
    results: list[InboxItem]
    next: str | None
    unread: int


def _audience(payload: AudienceIn) -> dict:
    return {k: v for k, v in payload.dict().items() if v is not None}


@router.post("/admin/notices", response={201: NoticeCreated}, summary="发布通知（区审核员：仅本区）")
def publish_notice(request, payload: NoticeIn):
    notice = notice_services.notice_publish(
        actor=_staff(request),
        title=payload.title,
        body=payload.body,
        audience=_audience(payload.audience),
        channels=payload.channels,
        publish_at=payload.publish_at,
        ip=client_ip(request),
    )
    return Status(
        201,
        NoticeCreated(
            id=str(notice.pk),
            recipients=notice.recipients,
            status=notice.status,
            unmatched=notice.audience.get("unmatched"),
        ),
    )


@router.get(
    "/admin/notices", response=list[NoticeSummary], summary="已发布的通知（管理员：全部；区审核员：本人发布的）"
)
def list_notices(request):
    notices = notice_selectors.notices_for_staff(_staff(request))[:200]
    return [
        NoticeSummary(
            id=str(n.pk),
            title=n.title,
            status=n.status,
            audience=n.audience_label,
            publish_at=n.publish_at,
            recipients=n.recipients,
        )
        for n in notices
    ]


@router.get("/admin/notices/{notice_id}", response=NoticeProgress, summary="通知发送进度与短信、电子邮件送达情况")
def notice_progress(request, notice_id: str):
    notice = access.get_or_404(notice_selectors.notices_for_staff(_staff(request)), pk=notice_id)
    return notice_selectors.notice_progress(notice)


@router.get("/me/notices", response=InboxOut, summary="我的通知")
def my_notices(request, cursor: str | None = None):
    try:
        page = notice_selectors.inbox(request.auth, cursor=cursor)
    except ValueError:
        raise ApiError(400, "invalid_cursor", "分页游标无效，请从第一页重新开始。") from None
    return InboxOut(
        results=[
            InboxItem(
                id=str(r.notice_id),
                title=r.notice.title,
                body=r.notice.body,
                published_at=r.notice.published_at or r.notice.publish_at,
                read=r.read_at is not None,
                sender=notice_selectors.sender_of(r.notice),
            )
            for r in page.results
        ],
        next=page.next,
        unread=page.unread,
    )


@router.post("/me/notices/{notice_id}/read", response={204: None}, summary="标记通知为已读")
def read_notice(request, notice_id: str):
    if notice_selectors.inbox_entry(request.auth, notice_id) is None:
        raise ApiError(404, "not_found", "未找到该通知。")
    notice_services.notice_mark_read(notice_id=notice_id, user=request.auth)
    return Status(204, None)


# --- Campaigns -------------------------------------------------------------------------------
class CampaignIn(Schema):
    name: str
    scope: AudienceIn
    deadline: dt.date
    on_no_response: str
    remind_days: int = 7


class CampaignCreated(Schema):
    id: str
    in_scope: int


class DistrictProgress(Schema):
    in_scope: int
    answered: int
    marked: int


class CampaignOut(Schema):
    id: str
    name: str
    status: str
    scope: str
    deadline: dt.date
    on_no_response: str
    in_scope: int
    answered: int
    marked: int
    by_district: dict[str, DistrictProgress]


class TaskOut(Schema):
    campaign: str
    name: str
    deadline: dt.date
    overdue: bool
    mark: str  # "" or the status this campaign set on the record (abnormal / frozen)


class TaskList(Schema):
    results: list[TaskOut]
    next: str | None = None


class ConfirmOut(Schema):
    campaign: str
    answer: str
    answered_at: dt.datetime
    cleared: bool  # a late answer lifted this campaign's mark


def _campaign_out(campaign, actor) -> CampaignOut:
    progress = campaign_selectors.campaign_progress(campaign, actor)
    return CampaignOut(
        id=str(campaign.pk),
        name=campaign.name,
        status=campaign.status,
        scope=campaign.scope_label,
        deadline=campaign.deadline,
        on_no_response=campaign.on_no_response,
        in_scope=progress["in_scope"],
        answered=progress["answered"],
        marked=progress["marked"],
        by_district=progress["by_district"],
    )


@router.post("/admin/campaigns", response={201: CampaignCreated}, summary="发起集中核查（市管理员）")
def open_campaign(request, payload: CampaignIn):
    campaign = campaign_services.campaign_open(
        actor=_staff(request),
        name=payload.name,
        scope=_audience(payload.scope),
        deadline=payload.deadline,
        on_no_response=payload.on_no_response,
        remind_days=payload.remind_days,
        ip=client_ip(request),
    )
    return Status(201, CampaignCreated(id=str(campaign.pk), in_scope=campaign.in_scope))


@router.get("/admin/campaigns", response=list[CampaignOut], summary="集中核查及进度（区审核员：本区）")
def list_campaigns(request):
    actor = _staff(request)
    return [_campaign_out(c, actor) for c in campaign_selectors.campaigns_for_staff(actor)[:50]]


@router.get("/admin/campaigns/{campaign_id}", response=CampaignOut, summary="集中核查进度（按区）")
def campaign_detail(request, campaign_id: str):
    actor = _staff(request)
    return _campaign_out(access.get_or_404(campaign_selectors.campaigns_for_staff(actor), pk=campaign_id), actor)


@router.post(
    "/admin/campaigns/{campaign_id}/close", response=CampaignOut, summary="立即截止（与到期处理相同；可重复调用）"
)
def close_campaign(request, campaign_id: str):
    campaign = campaign_services.campaign_close(actor=_staff(request), campaign_id=campaign_id, ip=client_ip(request))
    return _campaign_out(campaign, request.auth)


@router.get("/me/tasks", response=TaskList, summary="我的待办：集中核查")
def my_tasks(request):
    return TaskList(
        results=[
            TaskOut(
                campaign=str(t.campaign_id),
                name=t.campaign.name,
                deadline=t.campaign.deadline,
                overdue=t.campaign.status != "open",
                mark=t.mark if t.mark_in_force else "",
            )
            for t in campaign_selectors.open_tasks(request.auth)
        ]
    )


@router.post("/me/campaigns/{campaign_id}/confirm", response=ConfirmOut, summary="信息无变化，确认")
def confirm_campaign(request, campaign_id: str):
    target = campaign_services.campaign_confirm(campaign_id=campaign_id, actor=request.auth, ip=client_ip(request))
    return ConfirmOut(
        campaign=str(target.campaign_id),
        answer=target.answer,
        answered_at=target.answered_at,
        cleared=target.cleared_at is not None,
    )


# --- Integrity -------------------------------------------------------------------------------
class IntegrityIn(Schema):
    id_number: str
    kind: str
    summary: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    document_number: str = ""


class IntegrityEndIn(Schema):
    reason: str
    ended_on: dt.date | None = None


class IntegrityOut(Schema):
    id: str
    id_number: str
    name: str
    district: str
    kind: str
    kind_label: str
    summary: str
    document_number: str
    starts_on: dt.date
    ends_on: dt.date | None
    ended_on: dt.date | None
    in_force: bool


def _integrity_out(entry: IntegrityEntry, *, full_id: bool = False) -> IntegrityOut:
    record = entry.record
    return IntegrityOut(
        id=str(entry.pk),
        id_number=record.id_number if full_id else mask_id_number(record.id_number),
        name=record.name,
        district=record.district_id,
        kind=entry.kind,
        kind_label=entry.get_kind_display(),
        summary=entry.summary,
        document_number=entry.document_number,
        starts_on=entry.starts_on,
        ends_on=entry.ends_on,
        ended_on=entry.ended_on,
        in_force=entry.in_force_on(timezone.localdate()),
    )


@router.post("/admin/integrity", response={201: IntegrityOut}, summary="登记诚信记录（区审核员：仅本区人员）")
def create_integrity(request, payload: IntegrityIn):
    entry = integrity_services.integrity_record(
        actor=_staff(request),
        id_number=payload.id_number,
        kind=payload.kind,
        summary=payload.summary,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        document_number=payload.document_number,
        ip=client_ip(request),
    )
    return Status(201, _integrity_out(entry))


@router.get("/admin/integrity", response=list[IntegrityOut], summary="诚信记录（本区）")
def list_integrity(request, id_number: str | None = None):
    staff = _staff(request)
    entries = IntegrityEntry.objects.visible_to(staff).select_related("record")
    audit_search(actor=staff, q=id_number or "", where="integrity", ip=client_ip(request))
    if id_number:
        entries = entries.filter(record__id_number=id_number.strip().upper())
    return [_integrity_out(e) for e in entries[:200]]


@router.post("/admin/integrity/{entry_id}/end", response=IntegrityOut, summary="提前解除诚信记录")
def end_integrity(request, entry_id: str, payload: IntegrityEndIn):
    entry = integrity_services.integrity_end(
        actor=_staff(request),
        entry_id=entry_id,
        reason=payload.reason,
        ended_on=payload.ended_on,
        ip=client_ip(request),
    )
    return _integrity_out(entry)


@router.get("/me/integrity", response=list[IntegrityOut], summary="我的诚信记录")
def my_integrity(request):
    entries = integrity_selectors.entries_of(request.auth).select_related("record")
    return [_integrity_out(e, full_id=True) for e in entries]
