"""Back office: staff accounts (admins) and phone recovery (reviewers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access, recovery, selectors, services
from registry.audit.services import client_ip
from registry.core.errors import ServiceError
from registry.core.selectors import jurisdiction_units
from registry.review.services import reviewer_scope_set

from .forms import PhoneRecoveryForm, StaffCreateForm
from .views import refuse_on_page, show_service_error


@never_cache
@login_required
def phone_recovery(request):
    """Request a new login phone for a person (after checking identity by hand), and approve or
    cancel the district's pending requests: a second staff member must approve."""
    access.require_staff(request.user)
    form = PhoneRecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = recovery.phone_recovery_request(
                actor=request.user,
                id_number=form.cleaned_data["id_number"],
                new_phone=form.cleaned_data["new_phone"],
                identity_check=form.cleaned_data["identity_check"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request,
                f"已提交：将 {item.person.name or '该人员'} 的登录手机更换为 {item.new_phone}。"
                "须由本区另一名审核员或市财政局管理员批准后生效；已短信告知其原手机号。",
            )
            return redirect("web:staff_phone_recovery")
    return render(
        request,
        "staff/phone_recovery.html",
        {"form": form, "pending": recovery.pending_recoveries(request.user)},
    )


@require_POST
@login_required
def phone_recovery_decide(request, recovery_id, action):
    access.require_staff(request.user)
    decide = {"approve": recovery.phone_recovery_approve, "cancel": recovery.phone_recovery_cancel}.get(action)
    if decide is None:
        raise Http404
    try:
        item = decide(actor=request.user, recovery_id=recovery_id, ip=client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
    else:
        if action == "approve":
            messages.success(
                request,
                f"已批准：{item.person.name or '该人员'} 的登录手机已更换为 {item.new_phone}。"
                "请告知本人：用新手机号通过“找回密码”获取验证码并设置新密码。",
            )
        else:
            messages.success(request, "已取消该手机号更换申请。")
    return redirect("web:staff_phone_recovery")


@never_cache
@login_required
def staff_list(request):
    access.require_staff(request.user, admin=True)
    jurisdiction = [(u.code, u.name) for u in jurisdiction_units()]
    form = StaffCreateForm(request.POST or None, district_choices=jurisdiction)
    issued = None
    if request.method == "POST" and form.is_valid():
        initial_password = services.generate_initial_password()
        try:
            user = services.staff_create(
                phone=form.cleaned_data["phone"],
                password=initial_password,
                role=form.cleaned_data["role"],
                district_codes=form.cleaned_data["districts"],
                name=form.cleaned_data["name"],
                must_change_password=True,
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, "；".join(exc.messages))
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            issued = {"user": user, "password": initial_password}
            form = StaffCreateForm(district_choices=jurisdiction)
    staff = selectors.staff_members()
    return render(
        request, "staff/staff_list.html", {"form": form, "staff": staff, "issued": issued, "units": jurisdiction}
    )


@login_required
def staff_districts(request, user_id):
    """Admins change a reviewer's districts or disable the account (POST from the staff list)."""
    access.require_staff(request.user, admin=True)
    if request.method != "POST":
        return redirect("web:staff_users")
    staff = selectors.reviewer_or_404(user_id)
    try:
        released = reviewer_scope_set(
            actor=request.user,
            staff=staff,
            district_codes=request.POST.getlist("districts"),
            active=request.POST.get("active") == "1",
            ip=client_ip(request),
        )
    except ServiceError as exc:
        messages.error(request, f"{staff.name or staff.phone}：{exc.message}")
    else:
        done = f"已更新 {staff.name or staff.phone} 负责的区。"
        if released:
            done += f"其受理的 {released} 件申请已退回所在区的待审核队列。"
        messages.success(request, done)
    return redirect("web:staff_users")
