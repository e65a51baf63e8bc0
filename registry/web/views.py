from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from registry.accounts import access, auth, recovery, services
from registry.accounts.sms_codes import normalize_phone, sms_code_request
from registry.audit.services import client_ip
from registry.core import refdata
from registry.core.errors import RateLimited, ServiceError
from registry.core.health import health_report
from registry.core.masking import mask_phone
from registry.imports import claims

from .forms import LoginForm, PasswordResetForm, RegisterForm

BACKEND = "registry.accounts.backends.PhoneOrIdNumberBackend"


# Service field names that our web forms call differently.
FORM_FIELDS = {"new_password": "password"}


def refuse_on_page(request, exc: ServiceError) -> None:
    """A refused action from a page's button: "missing or not yours" stays a 404 page; anything
    else is a message on the page the button redirects back to."""
    if exc.status == 404:
        raise Http404 from None
    messages.error(request, exc.message)


def show_service_error(form, exc: ServiceError, *, prefix: str = "") -> None:
    """Put a service error on the form field it concerns (or on the form). `prefix`: the part of the
    service's field path the form's names leave out (details.date → date)."""
    field = exc.field.removeprefix(prefix) if prefix else exc.field
    field = FORM_FIELDS.get(field, field)
    form.add_error(field if field in form.fields else None, exc.message)


def home(request):
    if access.is_admin(request.user):
        # The municipal admin's home page is the statistics overview (issue 14).
        from .stats_views import overview_context

        return render(request, "staff/stats.html", overview_context(request))
    context = {}
    if access.is_reviewer(request.user):
        from registry.records.selectors import moves_away

        context["my_districts"] = request.user.districts.order_by("sort_order")
        # The old district is told when someone it managed moves away (it keeps no access to new data).
        context["moved_away"] = moves_away(request.user)
    return render(request, "web/home.html", context)


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to our own icon."""
    from django.templatetags.static import static

    return redirect(static("web/favicon.svg"))


def contacts(request):
    return render(request, "web/contacts.html", {"units": refdata.jurisdiction_units()})


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


@never_cache
def login_view(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth.login(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
                request=request,
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
            status = 429 if isinstance(exc, RateLimited) else 200
            return render(
                request, "registration/login.html", {"form": form, "next": _safe_next(request)}, status=status
            )
        django_login(request, user, backend=BACKEND)  # rotates the session key
        if recovery.pending_recovery_of(user):
            # Told at the first moment they are back: a staff member asked to move their login.
            messages.warning(request, "工作人员已申请更换您的登录手机号，尚未生效。如非您本人申请，请在下方取消。")
            return redirect("web:profile")
        if claims.offered_by_phone(user):  # issue 15: an imported record waits for this phone
            return redirect("web:claim")
        return redirect(_safe_next(request) or "web:home")
    return render(request, "registration/login.html", {"form": form, "next": _safe_next(request)})


@require_POST
def logout_view(request):
    auth.logout_record(user=request.user, ip=client_ip(request), via="web")
    django_logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("web:home")


@require_POST
def sms_code_view(request):
    """HTMX: send a verification code and answer with a one-line status fragment."""
    purpose = request.POST.get("purpose", "")
    # The phone field may be prefixed by its form ("phone-new_phone" on the profile page).
    phone = next((v for k, v in request.POST.items() if k.rsplit("-", 1)[-1] in ("phone", "new_phone")), "")
    user = request.user if request.user.is_authenticated else None
    try:
        ttl = sms_code_request(phone=phone, purpose=purpose, ip=client_ip(request), user=user)
    except ServiceError as exc:
        response = HttpResponse(format_html('<span class="field-error" role="alert">{}</span>', exc.message))
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return HttpResponse(
        format_html(
            '<span class="ok" role="status">验证码已发送至 {}，{} 分钟内有效。</span>',
            mask_phone(normalize_phone(phone)),
            ttl // 60,
        )
    )


@never_cache
def register_view(request):
    if request.user.is_authenticated:
        # As the login page: registering here would log this browser into a second account.
        messages.info(request, "您已登录。一人只能注册一个账号；如需使用其他手机号注册，请先退出。")
        return redirect("web:home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.applicant_register(
                phone=form.cleaned_data["phone"],
                sms_code=form.cleaned_data["sms_code"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            django_login(request, user, backend=BACKEND)
            messages.success(request, "注册成功，欢迎使用会计人员信息管理系统。")
            if claims.offered_by_phone(user):  # issue 15: an imported record waits for this phone
                return redirect("web:claim")
            return redirect("web:home")
    return render(request, "registration/register.html", {"form": form})


@never_cache
def password_reset_view(request):
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset(
                id_number=form.cleaned_data["id_number"],
                phone=form.cleaned_data["phone"],
                sms_code=form.cleaned_data["sms_code"],
                new_password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            messages.success(request, "密码已重置，所有设备上的登录均已退出。请用新密码登录。")
            return redirect("web:login")
    return render(request, "registration/password_reset.html", {"form": form})


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: 200 only when the database answers; with ?deep=1 also the broker and a
    recent worker heartbeat. Never echoes error text (it is logged)."""
    healthy, body = health_report(deep=request.GET.get("deep") == "1")
    return JsonResponse(body, status=200 if healthy else 503)
