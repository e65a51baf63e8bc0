"""Pages for notices (staff publish, people read), campaigns (staff open and follow, people
answer) and integrity records. Views only call services and selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access
from registry.audit.services import audit_search, client_ip
from registry.campaigns import selectors as campaign_selectors
from registry.campaigns import services as campaign_services
from registry.campaigns.services import THREE_YEARS_TEMPLATE
from registry.core.errors import ServiceError
from registry.core.models import Region
from registry.integrity import services as integrity_services
from registry.integrity.models import IntegrityEntry
from registry.notices import selectors as notice_selectors
from registry.notices import services as notice_services

from .campaign_forms import CampaignForm, IntegrityForm, NoticeForm
from .views import refuse_on_page, show_service_error


def _region_names():
    return dict(Region.objects.reviewing_units().values_list("code", "name"))


# --- The person ---------------------------------------------------------------------------------
@never_cache
@login_required
def inbox(request):
    try:
        page = notice_selectors.inbox(request.user, cursor=request.GET.get("cursor"))
    except ValueError:
        raise Http404 from None
    return render(request, "notices/inbox.html", {"page": page})


@never_cache
@login_required
def notice_detail(request, notice_id):
    entry = notice_selectors.inbox_entry(request.user, notice_id)
    if entry is None:
        raise Http404
    notice_services.notice_mark_read(notice_id=notice_id, user=request.user)
    return render(request, "notices/detail.html", {"entry": entry, "sender": notice_selectors.sender_of(entry.notice)})


@require_POST
@login_required
def campaign_confirm(request, campaign_id):
    try:
        target = campaign_services.campaign_confirm(campaign_id=campaign_id, actor=request.user, ip=client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
    else:
        done = "已确认，感谢配合。"
        if target.cleared_at:
            done += "该核查对您信息的标注已解除。"
        messages.success(request, f"“{target.campaign.name}”{done}")
    return redirect("web:home")


# --- Staff: notices -----------------------------------------------------------------------------
@never_cache
@login_required
def staff_notices(request):
    access.require_staff(request.user)
    campaigns = campaign_selectors.campaigns_for_staff(request.user)[:20]
    form = NoticeForm(request.POST or None, user=request.user, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        try:
            notice = notice_services.notice_publish(
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                audience=form.audience(form.cleaned_data["kind"]),
                channels=["inbox"] + [channel for channel in ("sms", "email") if form.cleaned_data[channel]],
                publish_at=form.cleaned_data["publish_at"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            _show_audience_error(form, exc)
        else:
            done = f"通知已{'发布' if notice.status != 'scheduled' else '定时'}，发送范围 {notice.recipients} 人。"
            if notice.audience.get("unmatched"):
                done += f"名单中另有 {notice.audience['unmatched']} 个证件号码不在范围内，未发送。"
            messages.success(request, done)
            return redirect("web:staff_notice", notice_id=notice.pk)
    notices = notice_selectors.notices_for_staff(request.user)[:50]
    return render(request, "staff/notices.html", {"form": form, "notices": notices})


def _show_audience_error(form, exc: ServiceError) -> None:
    """A refusal (403: outside the reviewer's districts) on the form; `audience.districts` on the
    form's `districts` field."""
    if exc.status == 403:
        form.add_error(None, exc.message)
        return
    exc.field = exc.field.removeprefix("audience.")
    if exc.field == "audience":
        exc.field = "kind"
    show_service_error(form, exc)


@never_cache
@login_required
def staff_notice(request, notice_id):
    access.require_staff(request.user)
    notice = access.get_or_404(notice_selectors.notices_for_staff(request.user), pk=notice_id)
    return render(request, "staff/notice_detail.html", {"p": notice_selectors.notice_progress(notice)})


# --- Staff: campaigns ---------------------------------------------------------------------------
@never_cache
@login_required
def staff_campaigns(request):
    access.require_staff(request.user)
    initial = {}
    if request.GET.get("template") == "three_years":
        initial = {
            "name": THREE_YEARS_TEMPLATE["name"],
            "kind": "no_update_years",
            "years": 3,
            "on_no_response": THREE_YEARS_TEMPLATE["on_no_response"],
        }
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaign_services.campaign_open(
                actor=request.user,
                name=data["name"],
                scope=form.audience(data["kind"]),
                deadline=data["deadline"],
                on_no_response=data["on_no_response"],
                remind_days=data["remind_days"],
                ip=client_ip(request),
            )
        except ServiceError as exc:
            _show_audience_error(form, exc)
        else:
            messages.success(request, f"已发起“{campaign.name}”，范围内 {campaign.in_scope} 人。")
            return redirect("web:staff_campaign", campaign_id=campaign.pk)
    campaigns = campaign_selectors.campaigns_for_staff(request.user)[:50]
    return render(
        request,
        "staff/campaigns.html",
        {"form": form, "campaigns": campaigns, "may_open": access.is_admin(request.user)},
    )


@never_cache
@login_required
def staff_campaign(request, campaign_id):
    access.require_staff(request.user)
    campaign = access.get_or_404(campaign_selectors.campaigns_for_staff(request.user), pk=campaign_id)
    if request.method == "POST":
        try:
            campaign_services.campaign_close(actor=request.user, campaign_id=campaign.pk, ip=client_ip(request))
        except ServiceError as exc:
            refuse_on_page(request, exc)
        else:
            messages.success(request, "已截止：未答复人员正在按设定标注。")
        return redirect("web:staff_campaign", campaign_id=campaign.pk)
    progress = campaign_selectors.campaign_progress(campaign, request.user)
    names = _region_names()
    rows = [(names.get(code, code), code, p) for code, p in progress["by_district"].items()]
    return render(
        request,
        "staff/campaign_detail.html",
        {"campaign": campaign, "p": progress, "rows": rows, "may_close": access.is_admin(request.user)},
    )


# --- Staff: integrity ---------------------------------------------------------------------------
@never_cache
@login_required
def staff_integrity(request):
    access.require_staff(request.user)
    form = IntegrityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = integrity_services.integrity_record(actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except ServiceError as exc:
            if exc.status in (403, 404):
                form.add_error("id_number", exc.message)
            else:
                show_service_error(form, exc)
        else:
            messages.success(
                request, f"已登记：{entry.record.name} {entry.get_kind_display()}（{entry.document_number}）。"
            )
            return redirect("web:staff_integrity")
    entries = IntegrityEntry.objects.visible_to(request.user).select_related("record")
    query = (request.GET.get("q") or "").strip().upper()
    audit_search(actor=request.user, q=query, where="integrity", ip=client_ip(request))
    if query:
        entries = entries.filter(record__id_number=query)
    return render(
        request,
        "staff/integrity.html",
        {"form": form, "entries": entries[:100], "q": query, "today": timezone.localdate()},
    )


@require_POST
@login_required
def staff_integrity_end(request, entry_id):
    access.require_staff(request.user)
    try:
        integrity_services.integrity_end(
            actor=request.user, entry_id=entry_id, reason=request.POST.get("reason", ""), ip=client_ip(request)
        )
    except ServiceError as exc:
        refuse_on_page(request, exc)
    else:
        messages.success(request, "已解除该诚信记录。")
    return redirect("web:staff_integrity")
