"""Back-office endpoints for district reviewers and municipal admins, and the person's side of a
staff phone recovery (see it, cancel it)."""

import datetime as dt

from ninja import Router, Schema, Status

from registry.accounts import access, recovery
from registry.accounts.models import PhoneRecovery
from registry.audit.services import client_ip
from registry.core.masking import mask_phone

from .security import account_auth

router = Router(tags=["区县审核"], auth=account_auth)


class PhoneRecoveryIn(Schema):
    id_number: str
    new_phone: str
    identity_check: str


class PhoneRecoveryOut(Schema):
    id: str
    person_id: str
    status: str
    district: str
    old_phone: str
    new_phone: str
    requested_by: str
    requested_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None


def recovery_out(item: PhoneRecovery, user) -> PhoneRecoveryOut:
    staff = access.is_staff_member(user)
    return PhoneRecoveryOut(
        id=str(item.pk),
        person_id=str(item.person_id),
        status=item.status,
        district=item.district_id,
        old_phone=mask_phone(item.old_phone),
        # The person sees the number their account would move to in full: it may be the attacker's.
        new_phone=item.new_phone if (staff or item.person_id == user.pk) else mask_phone(item.new_phone),
        requested_by=item.requested_by.audit_label if staff else f"{item.district.name}财政局工作人员",
        requested_at=item.requested_at,
        expires_at=item.expires_at,
        decided_at=item.decided_at,
    )


@router.post(
    "/staff/phone-recovery",
    response={202: PhoneRecoveryOut},
    summary="人工核验身份后申请更换手机号（手机号停用；须另一名工作人员批准）",
)
def phone_recovery(request, payload: PhoneRecoveryIn):
    access.require_staff(request.auth)
    item = recovery.phone_recovery_request(
        actor=request.auth,
        id_number=payload.id_number,
        new_phone=payload.new_phone,
        identity_check=payload.identity_check,
        ip=client_ip(request),
    )
    return Status(202, recovery_out(item, request.auth))


@router.get(
    "/phone-recoveries",
    response=list[PhoneRecoveryOut],
    summary="待批准的手机号更换申请（工作人员：本区；本人：自己的）",
)
def pending_recoveries(request):
    return [recovery_out(item, request.auth) for item in recovery.pending_recoveries(request.auth)]


@router.post(
    "/phone-recoveries/{recovery_id}/approve",
    response=PhoneRecoveryOut,
    summary="批准手机号更换（另一名工作人员）",
)
def approve_recovery(request, recovery_id: str):
    access.require_staff(request.auth)
    item = recovery.phone_recovery_approve(actor=request.auth, recovery_id=recovery_id, ip=client_ip(request))
    return recovery_out(item, request.auth)


@router.post(
    "/phone-recoveries/{recovery_id}/cancel",
    response=PhoneRecoveryOut,
    summary="取消手机号更换申请（本人或本区工作人员）",
)
def cancel_recovery(request, recovery_id: str):
    item = recovery.phone_recovery_cancel(actor=request.auth, recovery_id=recovery_id, ip=client_ip(request))
    return recovery_out(item, request.auth)
