"""The district's review API (API.md "Review"): queue, detail, claim, decision."""

import datetime as dt
import json

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from registry.accounts import access
from registry.accounts.selectors import user_by_id
from registry.applications import states
from registry.applications.form import CollectionForm
from registry.audit.services import audit_search, client_ip
from registry.core.masking import mask_id_number
from registry.material_checks import selectors as material_checks
from registry.review import selectors, services
from registry.review.details import review_details

from .applicant import AttachmentOut, EventOut, attachment_out
from .credits import declarations_in_queue
from .errors import ApiError
from .security import account_auth

router = Router(tags=["审核"], auth=account_auth)


def _staff(request):
    return access.require_staff(request.auth)


class QueueItem(Schema):
    id: str
    type: str
    status: str
    district: str
    applicant_name: str
    id_number: str
    round: int
    submitted_at: dt.datetime
    due_on: dt.date | None
    overdue: bool
    claimed_by: str | None


class QueueOut(Schema):
    results: list[QueueItem]
    next: str | None
    counts: dict[str, int]


class RoundOut(Schema):
    number: int
    submitted_at: dt.datetime
    decision: str
    reasons: list[str]
    comment: str
    decided_at: dt.datetime | None


class DiffOut(Schema):
    field: str
    old: object | None
    new: object | None
    label: str = Field("", description="字段的中文名称，如“学历（第2条）：毕业院校”")
    old_label: str = Field("", description="原值的中文显示（代码表名称、地区名称）")
    new_label: str = Field("", description="新值的中文显示")


class VersionOut(Schema):
    version: int
    district: str
    source: str
    district_name: str = ""
    source_label: str = ""
    created_at: dt.datetime


class WarningOut(Schema):
    code: str
    message: str
    ok: bool | None = None


class ReviewDetailOut(Schema):
    id: str
    type: str
    status: str
    district: str
    round: int
    applicant_id: str
    form: CollectionForm
    attachments: list[AttachmentOut]
    history: list[EventOut]
    rounds: list[RoundOut]
    diff: list[DiffOut]
    record_versions: list[VersionOut]
    warnings: list[WarningOut]
    due_on: dt.date | None
    overdue: bool
    claimed_by: str | None
    # What this staff member may do now (states.available_actions): claim, approve, reject, …
    actions: list[str]


class DecisionIn(Schema):
    # Same name and shape as the credit declarations' DecisionIn: one component in the OpenAPI
    # document, so the rules are in the endpoint's description, not in field descriptions here.
    decision: str
    reasons: list[str] = []
    comment: str = ""


class ReassignIn(Schema):
    reviewer_id: str


class StatusOut(Schema):
    status: str


def _name(user) -> str | None:
    return (user.name or user.phone) if user else None


def _json_datetime(value: dt.datetime) -> str:
    """DjangoJSONEncoder's text for a datetime ("2026-11-27T15:16:21.123Z"), written here so that
    the encoder is not called back once per value of a queue page (a third of its encoding)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


@router.get("/review/applications", response=QueueOut, summary="审核队列（仅本人负责的区）")
def queue(
    request,
    status: str | None = None,
    type: str | None = None,
    district: str | None = None,
    overdue: bool = False,
    q: str = "",
    cursor: str | None = None,
):
    user = _staff(request)
    where = "credit_declarations" if type == "ce_declaration" else "review_queue"
    audit_search(actor=user, q=q, where=where, district=district, ip=client_ip(request))
    if type == "ce_declaration":  # continuing-education declarations: their own type in the same queue
        return declarations_in_queue(user=user, status=status, district=district, q=q, cursor=cursor)
    today = timezone.localdate()
    params = {"status": status, "type": type, "district": district, "overdue": overdue, "q": q, "cursor": cursor}
    try:
        # On PostgreSQL the rows come as JSON text, counts and page in one round trip; the bytes
        # are the same as below (tests/review/test_queue_json.py).
        written = selectors.review_queue_json(user=user, today=today, **params)
        if written is not None:
            return HttpResponse(
                b'{"results": %s, "next": %s, "counts": %s}'
                % (written.results, json.dumps(written.next).encode(), json.dumps(written.counts).encode()),
                content_type="application/json",
            )
        page = selectors.review_queue(user=user, today=today, **params)
    except selectors.BadCursor:
        raise ApiError(400, "invalid_cursor", "分页游标无效，请从第一页重新开始。") from None
    # Plain dicts straight to JSON: building a QueueItem per row and ninja validating the page again
    # was ~40 % of the call's CPU (docs/performance.md); QueueOut still documents the shape, and
    # tests/api pin the answer against that schema.
    return JsonResponse(
        {"results": [queue_item(a, today) for a in page.results], "next": page.next, "counts": page.counts}
    )


def queue_item(a: selectors.QueueRow, today: dt.date) -> dict:
    """A QueueItem as a plain dict (what PostgreSQL writes as JSON in selectors._JSON_PAGE)."""
    return {
        "id": str(a.id),
        "type": a.type,
        "status": a.status,
        "district": a.district_id,
        "applicant_name": a.applicant_name,
        "id_number": mask_id_number(a.id_number),
        "round": a.round,
        "submitted_at": a.submitted_at and _json_datetime(a.submitted_at),
        "due_on": a.due_on and a.due_on.isoformat(),
        "overdue": selectors.is_overdue(a, today),
        "claimed_by": a.claimed_by_label,
    }


@router.get("/review/applications/{application_id}", response=ReviewDetailOut, summary="审核详情（记入审计日志）")
def detail(request, application_id: str):
    application = services.review_open(user=_staff(request), application_id=application_id, ip=client_ip(request))
    data = review_details(application)
    return ReviewDetailOut(
        id=str(application.pk),
        type=application.type,
        status=application.status,
        district=application.district_id,
        round=application.round,
        applicant_id=str(application.applicant_id),
        form=data["form"],
        attachments=[attachment_out(a, data["form"]) for a in material_checks.with_readings(data["attachments"])],
        history=[
            EventOut(at=e.at, kind=e.kind, label=e.get_kind_display(), round=e.round, note=e.note)
            for e in data["events"]
        ],
        rounds=[
            RoundOut(
                number=r.number,
                submitted_at=r.submitted_at,
                decision=r.decision,
                reasons=r.reasons,
                comment=r.comment,
                decided_at=r.decided_at,
            )
            for r in data["rounds"]
        ],
        diff=data["diff"],
        record_versions=[VersionOut(**v) for v in data["record_versions"]],
        warnings=data["warnings"],
        due_on=application.due_on,
        overdue=data["overdue"],
        claimed_by=_name(application.claimed_by),
        actions=sorted(states.available_actions(application, request.auth)),
    )


@router.post("/review/applications/{application_id}/claim", response=StatusOut, summary="受理")
def claim(request, application_id: str):
    user = _staff(request)
    application = services.application_for_staff(user=user, application_id=application_id)
    return {"status": services.review_claim(application=application, actor=user, ip=client_ip(request)).status}


@router.post(
    "/review/applications/{application_id}/decision",
    response=StatusOut,
    summary="审核决定",
    description=(
        "200 `{status}`；"
        "400 `invalid_decision`：decision 不是 approve 或 reject；"
        "400 `reason_required`：reject 没有选择标准原因；"
        "400 `unknown_code`：原因不在代码表 rejection_reason 中；"
        "400 `comment_required`（field `comment`）：reject 的原因含 `other`（其他原因（见审核意见））而审核意见为空；"
        "403 `own_application`：本人的申请；"
        "409 `not_claimed`：尚未受理；409 `claimed_by_other`：已由其他审核员受理；"
        "409 `already_decided`：已经作出审核决定；409 `id_number_taken`：证件号码已在其他账号下采集。"
        "被拒绝的决定不改变任何数据。"
    ),
)
def decision(request, application_id: str, payload: DecisionIn):
    user = _staff(request)
    application = services.application_for_staff(user=user, application_id=application_id)
    application = services.review_decide(
        application=application,
        actor=user,
        decision=payload.decision,
        reasons=payload.reasons,
        comment=payload.comment,
        ip=client_ip(request),
    )
    return {"status": application.status}


@router.post("/review/applications/{application_id}/reassign", response=StatusOut, summary="改派（市管理员）")
def reassign(request, application_id: str, payload: ReassignIn):
    user = _staff(request)
    application = services.application_for_staff(user=user, application_id=application_id)
    target = user_by_id(payload.reviewer_id)
    if target is None:
        raise ApiError(400, "invalid_reviewer", "没有这个审核员。")
    application = services.review_reassign(application=application, actor=user, to_user=target, ip=client_ip(request))
    return {"status": application.status}


@router.post("/review/applications/{application_id}/release", response=StatusOut, summary="退回待审核（市管理员）")
def release(request, application_id: str):
    user = _staff(request)
    application = services.application_for_staff(user=user, application_id=application_id)
    return {"status": services.review_release(application=application, actor=user, ip=client_ip(request)).status}


@router.post("/review/transfer-codes/{code}/revoke", response=StatusOut, summary="撤销调转编号（原管理区）")
def revoke_transfer_code(request, code: str):
    from registry.transfers.services import transfer_code_revoke

    transfer_code_revoke(actor=_staff(request), code=code)
    return {"status": "revoked"}
