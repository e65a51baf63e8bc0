"""Accounts (API.md "Accounts"): SMS codes, registration, login, logout, password reset, /me."""

import datetime as dt

from django.contrib.auth import logout as django_logout
from django.contrib.auth import update_session_auth_hash
from ninja import Router, Schema, Status

from registry.accounts import access, auth, services
from registry.accounts.models import User
from registry.accounts.sms_codes import sms_code_request
from registry.audit.services import client_ip

from .security import account_auth, account_auth_pending_ok, optional_user

router = Router(tags=["账号"])


class SmsCodeIn(Schema):
    phone: str
    purpose: str


class SmsCodeOut(Schema):
    expires_in: int


class RegisterIn(Schema):
    phone: str
    sms_code: str
    password: str


class IdOut(Schema):
    id: str


class LoginIn(Schema):
    username: str
    password: str


class LoginOut(Schema):
    token: str
    expires_at: dt.datetime


class PasswordResetIn(Schema):
    id_number: str
    phone: str
    sms_code: str
    new_password: str


class MeOut(Schema):
    id: str
    phone: str
    name: str
    roles: list[str]
    districts: list[str]
    must_change_password: bool


class PhoneChangeIn(Schema):
    password: str
    new_phone: str
    sms_code: str


class PasswordChangeIn(Schema):
    old_password: str
    new_password: str


def me_out(user: User) -> MeOut:
    roles = [user.role] + (["superuser"] if user.is_superuser else [])
    return MeOut(
        id=str(user.pk),
        phone=user.phone,
        name=user.name,
        roles=roles,
        districts=sorted(access.district_codes(user)),
        must_change_password=user.must_change_password,
    )


@router.post("/auth/sms-codes", response={202: SmsCodeOut}, summary="获取短信验证码")
def request_sms_code(request, payload: SmsCodeIn):
    """Rate-limited: one a minute and ten a day per phone, and a per-IP hourly limit (429 + Retry-After).
    `change_phone` needs a logged-in caller. The answer never says whether the phone is registered:
    a registered phone gets an SMS notice instead of a `register`/`change_phone` code, and nothing
    for an unknown phone's `reset_password`."""
    ttl = sms_code_request(
        phone=payload.phone, purpose=payload.purpose, ip=client_ip(request), user=optional_user(request)
    )
    return Status(202, {"expires_in": ttl})


@router.post("/auth/register", response={201: IdOut}, summary="注册")
def register(request, payload: RegisterIn):
    user = services.applicant_register(
        phone=payload.phone, sms_code=payload.sms_code, password=payload.password, ip=client_ip(request)
    )
    return Status(201, {"id": str(user.pk)})


@router.post("/auth/login", response=LoginOut, summary="登录（手机号或证件号码 + 密码）")
def login(request, payload: LoginIn):
    user = auth.login(username=payload.username, password=payload.password, ip=client_ip(request), request=request)
    key, token = auth.token_issue(user=user)
    return {"token": key, "expires_at": token.expires_at}


@router.post("/auth/logout", response={204: None}, auth=account_auth_pending_ok, summary="退出登录")
def logout(request):
    api_token = getattr(request, "api_token", None)
    if api_token is not None:
        auth.token_revoke(token=api_token, ip=client_ip(request))
    else:
        auth.logout_record(user=request.user, ip=client_ip(request), via="session")
        django_logout(request)
    return Status(204, None)


@router.post("/auth/password-reset", response={204: None}, summary="找回密码")
def password_reset(request, payload: PasswordResetIn):
    services.password_reset(
        id_number=payload.id_number,
        phone=payload.phone,
        sms_code=payload.sms_code,
        new_password=payload.new_password,
        ip=client_ip(request),
    )
    return Status(204, None)


@router.get("/me", response=MeOut, auth=account_auth_pending_ok, summary="当前用户")
def me(request):
    return me_out(request.auth)


@router.post("/me/phone", response=MeOut, auth=account_auth, summary="更换手机号码")
def change_phone(request, payload: PhoneChangeIn):
    user = services.phone_change(
        user=request.auth,
        password=payload.password,
        new_phone=payload.new_phone,
        sms_code=payload.sms_code,
        ip=client_ip(request),
    )
    return me_out(user)


@router.post("/me/password", response={204: None}, auth=account_auth_pending_ok, summary="修改密码")
def change_password(request, payload: PasswordChangeIn):
    api_token = getattr(request, "api_token", None)
    services.password_change(
        user=request.auth,
        old_password=payload.old_password,
        new_password=payload.new_password,
        ip=client_ip(request),
        keep_token=api_token,
    )
    if api_token is None:
        update_session_auth_hash(request, request.auth)  # this browser stays logged in, others end
    return Status(204, None)
