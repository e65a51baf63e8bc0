"""District-side use cases: open (audited), claim, reassign, decide. Approval applies the record."""

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from registry.accounts import access
from registry.accounts.models import Role, User
from registry.accounts.services import staff_set_districts
from registry.applications import states
from registry.applications.form import normalize_form
from registry.applications.models import (
    Application,
    ApplicationStatus,
    ApplicationType,
    EventKind,
    RoundDecision,
)
from registry.applications.services import event_add, round_decide
from registry.audit.services import audit_record
from registry.core.errors import Conflict, ServiceError
from registry.core.reasons import rejection_reasons_check
from registry.records.models import Record, RecordStatus
from registry.records.services import record_apply
from registry.sms.services import sms_enqueue


def _role(user: User) -> str:
    return states.ADMIN if access.is_admin(user) else states.REVIEWER


def application_for_staff(*, user: User, application_id) -> Application:
    """The application if this staff member's districts cover it; 404 (ServiceError) otherwise."""
    if not access.is_staff_member(user):
        raise ServiceError("not_found", "未找到该申请，或不属于您负责的区。", status=404)
    try:
        return access.get_or_404(
            Application.objects.in_districts_of(user).select_related("applicant", "district", "claimed_by"),
            pk=application_id,
        )
    except Http404:
        raise ServiceError("not_found", "未找到该申请，或不属于您负责的区。", status=404) from None


def review_open(*, user: User, application_id, ip: str | None = None) -> Application:
    """A reviewer reads an application: a read of personal data, so it is audited."""
    application = application_for_staff(user=user, application_id=application_id)
    audit_record(
        action="review.open",
        actor=user,
        target=application,
        district=application.district_id,
        ip=ip,
        details={"status": application.status, "round": application.round},
    )
    return application


def review_claim(*, application: Application, actor: User, ip: str | None = None) -> Application:
    access.refuse_own(actor, application.applicant_id)
    with transaction.atomic():
        application = states.move(
            application, "claim", _role(actor), actor=actor, claimed_by_id=actor.pk, claimed_at=timezone.now()
        )
        event_add(application=application, kind=EventKind.CLAIMED, actor=actor)
        audit_record(action="review.claim", actor=actor, target=application, district=application.district_id, ip=ip)
    return application


def review_reassign(*, application: Application, actor: User, to_user: User, ip: str | None = None) -> Application:
    """An admin hands a claimed application to another reviewer of its district."""
    if not access.is_admin(actor):
        raise ServiceError("forbidden", "只有市财政局管理员可以改派。", status=403)
    access.refuse_own(actor, application.applicant_id)
    if access.is_own(to_user, application.applicant_id):
        raise ServiceError("own_application", "不能把申请改派给申请人本人，请改派给本区其他审核员。", status=403)
    if not (to_user.role == Role.REVIEWER and application.district_id in access.district_codes(to_user)):
        raise ServiceError("invalid_reviewer", "只能改派给负责该区的审核员。", field="reviewer")
    with transaction.atomic():
        application = states.move(
            application, "reassign", states.ADMIN, actor=actor, claimed_by=to_user, claimed_at=timezone.now()
        )
        event_add(application=application, kind=EventKind.CLAIMED, actor=actor, note="管理员改派")
        audit_record(
            action="review.reassign",
            actor=actor,
            target=application,
            district=application.district_id,
            ip=ip,
            details={"to": to_user.pk},
        )
    return application


def review_release(*, application: Application, actor: User, ip: str | None = None) -> Application:
    """An admin returns a claimed application to the district's queue (the reviewer is away)."""
    if not access.is_admin(actor):
        raise ServiceError("forbidden", "只有市财政局管理员可以退回待审核。", status=403)
    access.refuse_own(actor, application.applicant_id)
    previous = application.claimed_by_id
    with transaction.atomic():
        application = states.move(application, "release", states.ADMIN, actor=actor, claimed_by=None, claimed_at=None)
        event_add(application=application, kind=EventKind.RELEASED, actor=actor)
        audit_record(
            action="review.release",
            actor=actor,
            target=application,
            district=application.district_id,
            ip=ip,
            details={"claimed_by": {"old": previous, "new": None}},
        )
    return application


def reviewer_scope_set(
    *, actor: User, staff: User, district_codes: list[str], active: bool = True, ip: str | None = None
) -> int:
    """The admin changes a reviewer's districts or disables the account; what the reviewer had
    claimed where they no longer review goes back to its district's queue, so nothing waits on
    someone who cannot decide it. Returns how many applications went back."""
    with transaction.atomic():
        staff_set_districts(actor=actor, staff=staff, district_codes=district_codes, active=active)
        kept = list(staff.districts.values_list("code", flat=True)) if active else []
        stranded = (
            Application.objects.select_for_update()
            .filter(status=ApplicationStatus.IN_REVIEW, claimed_by=staff)
            .exclude(district_id__in=kept)
            .exclude(applicant=actor)  # never the admin's own application (decisions/0006)
            .order_by("submitted_at")
        )
        released = 0
        for application in stranded:
            review_release(application=application, actor=actor, ip=ip)
            released += 1
    return released


DECISION_TEXTS = {
    "approve": "【会计人员信息管理系统】您的{type}申请已审核通过。",
    "reject": "【会计人员信息管理系统】您的{type}申请未通过审核，请登录系统查看审核意见并修改后重新提交。",
    # Rejected but never resubmitted (states: a transfer out is withdrawn and asked again).
    "reject_final": "【会计人员信息管理系统】您的{type}申请未通过审核，请登录系统查看审核意见；如仍需办理，请撤回后重新申请。",
}


def review_decide(
    *,
    application: Application,
    actor: User,
    decision: str,
    reasons: list[str] | None = None,
    comment: str = "",
    ip: str | None = None,
) -> Application:
    """Approve or reject. A rejection needs a standard reason, and an opinion when one of them is
    “其他原因（见审核意见）”. Exactly one of two concurrent decisions wins (conditional UPDATE in
    states.move); the other gets 409 already_decided. Approval applies the record in the same
    transaction."""
    access.refuse_own(actor, application.applicant_id)
    reasons = [r for r in dict.fromkeys(reasons or []) if r]
    comment = (comment or "").strip()
    if decision not in ("approve", "reject"):
        raise ServiceError("invalid_decision", "审核结论只能是 approve（通过）或 reject（不通过）。", field="decision")
    if application.status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        raise Conflict("already_decided", "该申请已经作出审核决定。")
    if decision == "reject":
        rejection_reasons_check(kind="rejection_reason", reasons=reasons, comment=comment)
    else:
        reasons = []  # boxes left ticked on the page are no reasons of an approval
    if application.status != ApplicationStatus.IN_REVIEW:
        raise Conflict("not_claimed", "请先受理该申请再作出审核决定。")
    now = timezone.now()
    with transaction.atomic():
        application = states.move(application, decision, _role(actor), actor=actor, decided_at=now)
        round_decide(
            application=application,
            decision=RoundDecision.APPROVED if decision == "approve" else RoundDecision.REJECTED,
            reasons=reasons,
            comment=comment,
            actor=actor,
            at=now,
        )
        event_add(
            application=application,
            kind=EventKind.APPROVED if decision == "approve" else EventKind.REJECTED,
            actor=actor,
            note=comment,
        )
        if decision == "approve" and application.type == ApplicationType.TRANSFER_OUT:
            from registry.transfers.services import transfer_code_issue

            transfer_code_issue(application=application, actor=actor)
        elif decision == "approve":
            try:
                with transaction.atomic():
                    _apply_record(application, actor)
            except IntegrityError:
                # Another account with the same ID number was approved at the same moment elsewhere.
                raise Conflict("id_number_taken", "该证件号码已在其他账号下采集，不能通过。") from None
        audit_record(
            action=f"review.{decision}",
            actor=actor,
            target=application,
            district=application.district_id,
            ip=ip,
            details={"round": application.round, "reasons": reasons, "comment": comment},
        )
        text = decision
        if decision == "reject" and "submit" not in states.available_actions(application, application.applicant):
            text = "reject_final"
        sms_enqueue(
            phone=application.applicant.phone,
            text=DECISION_TEXTS[text].format(type=application.get_type_display()),
            purpose=f"review_{decision}",
        )
    return application


def _apply_record(application: Application, actor: User) -> None:
    form = normalize_form(application.rounds.get(number=application.round).form)
    id_number = form["basic"]["id_number"].strip().upper()
    if (
        User.objects.filter(id_number=id_number).exclude(pk=application.applicant_id).exists()
        or Record.objects.filter(id_number=id_number).exclude(user_id=application.applicant_id).exists()
    ):
        # One person, one account: the same ID number is already collected under another account.
        raise Conflict(
            "id_number_taken",
            "该证件号码已在其他账号下采集，不能通过。请驳回并说明，或由本人通过原账号办理（手机号停用可申请更换）。",
        )
    source = application.type
    if application.transfer_document and not Record.objects.filter(user_id=application.applicant_id).exists():
        from registry.records.services import record_import_history

        record_import_history(
            user=application.applicant,
            payload=application.transfer_document["payload"],
            actor=actor,
        )
    record_apply(
        user=application.applicant,
        district_code=application.district_id,
        data=form,
        source=source,
        actor=actor,
        # A change does not lift a campaign's 异常/冻结: the campaign clears its own mark, and only
        # its own (decisions/0010). A first collection or a transfer in starts a record afresh.
        status=None if application.type == ApplicationType.CHANGE else RecordStatus.NORMAL,
    )
