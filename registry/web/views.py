from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from registry.accounts import access
from registry.core import workdays
from registry.core.models import Region

from .forms import LoginForm


def home(request):
    context = {}
    if access.is_admin(request.user):
        context["missing_calendar_years"] = workdays.years_without_calendar()
    if access.is_reviewer(request.user):
        context["my_districts"] = request.user.districts.order_by("sort_order")
    return render(request, "web/home.html", context)


def contacts(request):
    units = (
        Region.objects.reviewing_units().in_province(settings.REGISTRY_JURISDICTION).order_by("sort_order")
    )
    return render(request, "web/contacts.html", {"units": units})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@never_cache
@require_GET
def healthz(request):
    """Liveness and readiness: answers 200 only when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not ready"
        return JsonResponse(
            {"status": "error", "database": "unavailable", "detail": str(exc)[:200]}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor})
