"""Back-office endpoints for district reviewers and municipal admins."""

from ninja import Router, Schema

from registry.accounts import access, services
from registry.audit.services import client_ip

from .errors import ApiError
from .security import account_auth

router = Router(tags=["区县审核"], auth=account_auth)


class PhoneRecoveryIn(Schema):
    id_number: str
    new_phone: str
    identity_check: str


class PhoneRecoveryOut(Schema):
    id: str
    phone: str


def require_staff(user):
    if not access.is_staff_member(user):
        raise ApiError(403, "forbidden", "仅区财政局审核员和市财政局管理员可以使用此功能。")


@router.post("/staff/phone-recovery", response=PhoneRecoveryOut, summary="人工核验身份后更换手机号（手机号停用）")
def phone_recovery(request, payload: PhoneRecoveryIn):
    require_staff(request.auth)
    person = services.phone_recover_by_staff(
        actor=request.auth,
        id_number=payload.id_number,
        new_phone=payload.new_phone,
        identity_check=payload.identity_check,
        ip=client_ip(request),
    )
    return {"id": str(person.pk), "phone": person.phone}
