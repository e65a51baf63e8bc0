"""Claiming an imported record (API.md "Import of existing records and claiming them")."""

from ninja import Router, Schema, Status

from registry.audit.services import client_ip
from registry.imports import claims

from .security import account_auth

router = Router(tags=["申请人"], auth=account_auth)


class ClaimIn(Schema):
    id_number: str
    sms_code: str | None = None


class ClaimOut(Schema):
    claimed: bool | None = None
    sms_sent_to: str | None = None


@router.post(
    "/me/claim",
    response={200: ClaimOut, 202: ClaimOut},
    summary="认领原有人员信息（存量数据）",
    exclude_none=True,
    description=(
        "200 `{claimed: true}`：原有信息中的手机号即本账号已验证的手机号，立即认领；"
        "202 `{sms_sent_to}`：验证码已发送到原有信息中的手机号，带 `sms_code` 再次提交即认领；"
        "404 `no_record`：证件号码不在存量数据中或已被认领（两者答复相同）；"
        "409 `claim_via_district`：原有信息中没有手机号，须到管理区财政局核验身份；"
        "409 `already_has_record`：一人只能有一条人员信息。"
    ),
)
def claim(request, payload: ClaimIn):
    ip = client_ip(request)
    if payload.sms_code:
        return claims.claim_confirm(user=request.auth, id_number=payload.id_number, sms_code=payload.sms_code, ip=ip)
    answer = claims.claim_start(user=request.auth, id_number=payload.id_number, ip=ip)
    return answer if answer.get("claimed") else Status(202, answer)
