"""The statistics dashboard (/staff/stats/), also the municipal admin's home page."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access
from registry.accounts.models import Role, User
from registry.audit.services import client_ip
from registry.core import workdays
from registry.core.downloads import CSV_TYPE, XLSX_TYPE, file_response
from registry.core.errors import ServiceError
from registry.core.models import Region
from registry.stats import exports, permissions
from registry.stats.labels import FLOW_LABELS, breakdown_sections
from registry.stats.models import ExportJob
from registry.stats.selectors import stats_summary

from .views import refuse_on_page

PERIODS = {"6": "近6个月", "12": "近12个月", "24": "近24个月"}


def _rows(counts: dict[str, int], labels: dict[str, str], order: list[str] | None = None) -> list[dict]:
    keys = order if order is not None else sorted(counts, key=lambda k: -counts[k])
    total = sum(counts.values())
    return [
        {
            "key": k,
            "label": labels.get(k, k),
            "value": counts.get(k, 0),
            "share": f"{counts.get(k, 0) / total:.1%}" if total else "—",
        }
        for k in keys
        if k in counts
    ]


def _months_back(n: int) -> list[str]:
    today = dt.date.today().replace(day=1)
    months = []
    for _ in range(n):
        months.append(today.strftime("%Y-%m"))
        today = (today - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def overview_context(request) -> dict:
    user = request.user
    district = request.GET.get("district") or None
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else "12"
    try:
        summary = stats_summary(user=user, district=district)
    except ServiceError:
        district = None
        summary = stats_summary(user=user)
    names = dict(Region.objects.filter(code__in=summary["districts"]).values_list("code", "name"))
    all_codes = access.is_admin(user) and summary["districts"] or sorted(access.district_codes(user))
    choices = [
        (c, n) for c, n in Region.objects.filter(code__in=all_codes).order_by("sort_order").values_list("code", "name")
    ]
    ranked = sorted(summary["by_district"].items(), key=lambda kv: -kv[1])
    breakdowns = [
        (key, title, _rows(counts, labels, order=order))
        for key, title, counts, labels, order in breakdown_sections(summary)
    ]
    sections = [(key, rows) for key, _, rows in breakdowns]
    months = _months_back(int(period))
    flows = [{"month": m, **{k: summary["flows"].get(m, {}).get(k, 0) for k in FLOW_LABELS}} for m in months]
    ce_years = sorted(summary["ce_compliance"])
    ce_rows = [
        {"name": names.get(code, code), "rates": [summary["ce_compliance"][y].get(code) for y in ce_years]}
        for code in summary["districts"]
    ]
    decided = [{"month": m, "value": summary["review"]["decided_by_month"].get(m, 0)} for m in months]
    charts = {
        "districts": {"labels": [names.get(c, c) for c, _ in ranked], "values": [v for _, v in ranked]},
        "breakdowns": {
            key: {"labels": [r["label"] for r in rows], "values": [r["value"] for r in rows]}
            for key, _, rows in breakdowns
        },
        "flows": {
            "months": months,
            "series": [{"name": label, "values": [f[k] for f in flows]} for k, label in FLOW_LABELS.items()],
        },
        "decided": {"months": months, "values": [d["value"] for d in decided]},
    }
    context = {
        "summary": summary,
        "district": district,
        "district_name": names.get(district, "") if district else "",
        "period": period,
        "periods": PERIODS,
        "choices": choices,
        "ranked": [{"code": c, "name": names.get(c, c), "value": v} for c, v in ranked],
        "breakdowns": breakdowns,
        "flow_labels": FLOW_LABELS,
        "flows": flows,
        "ce_years": ce_years,
        "ce_rows": ce_rows,
        "decided": decided,
        "charts": charts,
        # The export's filters offer what the tables count, 无资格 included (its row has no code).
        "export_levels": [(r["key"] or exports.LEVEL_NONE, r["label"]) for r in dict(sections)["qualification"]],
        "export_statuses": [(r["key"], r["label"]) for r in dict(sections)["status"]],
        "can_export_full": user.has_perm("stats.export_full_id_number"),
    }
    if access.is_admin(user):
        context["missing_calendar_years"] = workdays.years_without_calendar()
    return context


@never_cache
@login_required
def dashboard(request):
    access.require_staff(request.user)
    return render(request, "staff/stats.html", overview_context(request))


@require_POST
@login_required
def export(request):
    """The dashboard's export buttons: a small list downloads at once, a large one becomes a
    background job listed on "我的导出"."""
    access.require_staff(request.user)
    fmt = request.POST.get("format") or "xlsx"
    ip = client_ip(request)
    try:
        filters = exports.clean_filters(
            user=request.user,
            district=request.POST.get("district", ""),
            level=request.POST.get("level", ""),
            status=request.POST.get("status", ""),
        )
        if request.POST.get("what") == "stats":
            result = exports.stats_export(user=request.user, filters=filters, fmt="xlsx", ip=ip)
            return exports.download_response(result, "xlsx", f"stats-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
        result = exports.people_export(user=request.user, fmt=fmt, filters=filters, ip=ip)
        if isinstance(result, ExportJob):
            messages.success(request, "导出数据量较大，已转入后台生成；完成后可在本页下载。")
            return redirect("web:stats_exports")
        return exports.download_response(result, fmt, exports.export_filename(fmt))
    except ServiceError as exc:
        refuse_on_page(request, exc)
        return redirect("web:stats")


@never_cache
@login_required
def export_list(request):
    access.require_staff(request.user)
    jobs = ExportJob.objects.filter(requested_by=request.user).order_by("-created_at")[:50]
    context = {"jobs": jobs, "keep_hours": settings.EXPORT_KEEP_HOURS}
    if access.is_admin(request.user):
        context["staff"] = User.objects.filter(role__in=[Role.REVIEWER, Role.ADMIN], is_active=True).order_by(
            "role", "phone"
        )
        context["holders"] = permissions.holders()
    return render(request, "staff/exports.html", context)


@require_POST
@login_required
def export_permission(request, user_id):
    """Admins grant or withdraw "export full ID numbers" for one staff member."""
    try:
        staff = permissions.export_full_permission_set(
            actor=request.user, staff_id=user_id, allow=request.POST.get("allow") == "1", ip=client_ip(request)
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        refuse_on_page(request, exc)
    else:
        granted = request.POST.get("allow") == "1"
        messages.success(request, f"已{'授权' if granted else '取消'} {staff.name or staff.phone} 导出完整证件号码。")
    return redirect("web:stats_exports")


@login_required
def export_download(request, job_id):
    try:
        job, path = exports.export_job_download(user=request.user, job_id=job_id, ip=client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
        return redirect("web:stats_exports")
    content_type = CSV_TYPE if job.fmt == "csv" else XLSX_TYPE
    return file_response(path, exports.export_filename(job.fmt, job.created_at), content_type)
