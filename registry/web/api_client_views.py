"""Back office: API clients (admins create, change scope, rotate and revoke keys)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access, api_clients
from registry.accounts.models import ApiClient, ApiScope
from registry.accounts.services import api_client_create
from registry.audit.services import client_ip
from registry.core.errors import ServiceError

from .views import refuse_on_page


@never_cache
@login_required
def api_client_list(request):
    access.require_staff(request.user, admin=True)
    issued = None
    errors = []
    if request.method == "POST":
        try:
            issued = api_client_create(
                name=request.POST.get("name", ""), scope=request.POST.get("scope", ""), actor=request.user
            )
        except ValidationError as exc:
            errors = exc.messages
    clients = ApiClient.objects.order_by("-active", "name")
    return render(
        request,
        "staff/api_clients.html",
        {
            "clients": clients,
            "issued": issued,
            "errors": errors,
            "scopes": ApiScope.choices,
            "posted": request.POST if errors else {},
        },
    )


@require_POST
@login_required
def api_client_action(request, client_id, action):
    access.require_staff(request.user, admin=True)
    ip = client_ip(request)
    try:
        if action == "rotate":
            issued = api_clients.api_client_rotate(actor=request.user, client_id=client_id, ip=ip)
            clients = ApiClient.objects.order_by("-active", "name")
            return render(
                request,
                "staff/api_clients.html",
                {"clients": clients, "issued": issued, "rotated": True, "scopes": ApiScope.choices},
            )
        if action == "revoke":
            client = api_clients.api_client_revoke(actor=request.user, client_id=client_id, ip=ip)
            messages.success(request, f"已停用 {client.name} 的密钥：此后使用该密钥的调用一律拒绝（401）。")
        elif action == "scope":
            client = api_clients.api_client_set_scope(
                actor=request.user, client_id=client_id, scope=request.POST.get("scope", ""), ip=ip
            )
            messages.success(request, f"{client.name} 的权限范围已改为“{client.get_scope_display()}”。")
        else:
            raise ServiceError("not_found", "未找到。", status=404)
    except ServiceError as exc:
        refuse_on_page(request, exc)
    return redirect("web:api_clients")
