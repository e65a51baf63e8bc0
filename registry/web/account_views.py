"""The logged-in person's own account: profile, phone change, password change."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import recovery, services
from registry.audit.services import client_ip
from registry.core.errors import ServiceError

from .forms import PasswordChangeForm, PhoneChangeForm
from .views import refuse_on_page, show_service_error


@never_cache
@login_required
def profile(request):
    phone_form = PhoneChangeForm(request.POST or None, prefix="phone")
    if request.method == "POST" and phone_form.is_valid():
        try:
            services.phone_change(
                user=request.user,
                password=phone_form.cleaned_data["password"],
                new_phone=phone_form.cleaned_data["new_phone"],
                sms_code=phone_form.cleaned_data["sms_code"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            show_service_error(phone_form, exc)
        else:
            messages.success(request, "手机号码已更换，今后请用新号码登录。")
            return redirect("web:profile")
    return render(
        request,
        "web/profile.html",
        {"phone_form": phone_form, "pending_recovery": recovery.pending_recovery_of(request.user)},
    )


@never_cache
@login_required
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            show_service_error(form, exc)
            if exc.code == "locked_out":
                return render(
                    request,
                    "web/password_change.html",
                    {"form": form, "forced": request.user.must_change_password},
                    status=429,
                )
        else:
            update_session_auth_hash(request, request.user)  # stay logged in here; other sessions end
            messages.success(request, "密码已修改，其他设备上的登录已退出。")
            return redirect("web:home")
    return render(request, "web/password_change.html", {"form": form, "forced": request.user.must_change_password})


@require_POST
@login_required
def phone_recovery_cancel(request, recovery_id):
    """The person stops a staff member's request to move their login to another phone."""
    try:
        recovery.phone_recovery_cancel(actor=request.user, recovery_id=recovery_id, ip=client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
    else:
        messages.success(request, "已取消该手机号更换申请，您的登录手机号不变。")
    return redirect("web:profile")
