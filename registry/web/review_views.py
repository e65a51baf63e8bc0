"""The district's review workspace: queue, review page, claim and decide."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access
from registry.applications import states
from registry.applications.models import ApplicationStatus, ApplicationType
from registry.audit.services import client_ip
from registry.core import refdata
from registry.core.errors import ServiceError
from registry.core.masking import mask_id_number
from registry.review import selectors, services
from registry.review.details import review_details
from registry.review.stats import district_overview
from registry.transfers.selectors import code_of_transfer_out

from . import collection_steps as cs
from .views import refuse_on_page


def _staff(request):
    return access.require_staff(request.user)


@never_cache
@login_required
def queue(request):
    user = _staff(request)
    params = {
        "status": request.GET.get("status") or None,
        "type": request.GET.get("type") or None,
        "district": request.GET.get("district") or None,
        "overdue": request.GET.get("overdue") == "1",
        "q": request.GET.get("q", ""),
        "cursor": request.GET.get("cursor") or None,
    }
    try:
        page = selectors.review_queue(user=user, **params)
    except selectors.BadCursor:
        messages.error(request, "分页参数无效，已回到第一页。")
        return redirect("web:review_queue")
    # The district filter's choices: cached regions, the reviewer's codes already read for the scope.
    if access.is_admin(user):
        districts = refdata.jurisdiction_units()
    else:
        mine = [refdata.region(code) for code in access.district_codes(user)]
        districts = sorted((r for r in mine if r is not None), key=lambda r: (r.sort_order, r.code))
    # One reverse() for the page, not one per row; district names from the cached regions.
    placeholder = str(uuid.UUID(int=0))
    review_url = reverse("web:review_page", args=[placeholder])
    rows = [
        {
            "app": a,
            "url": review_url.replace(placeholder, str(a.pk)),
            "district_name": getattr(refdata.region(a.district_id), "name", ""),
            "id_masked": mask_id_number(a.id_number),
            "overdue": selectors.is_overdue(a),
        }
        for a in page.results
    ]
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "review/queue.html",
        {
            "rows": rows,
            "page": page,
            "params": params,
            "districts": districts,
            "statuses": ApplicationStatus,
            "types": ApplicationType,
            "next_query": _with_cursor(query, page.next),
        },
    )


def _with_cursor(query, cursor: str | None) -> str:
    if not cursor:
        return ""
    query = query.copy()
    query["cursor"] = cursor
    return query.urlencode()


@never_cache
@login_required
def review_page(request, application_id):
    user = _staff(request)
    try:
        application = services.review_open(user=user, application_id=application_id, ip=client_ip(request))
    except ServiceError:
        raise Http404 from None
    data = review_details(application)
    choices = cs.code_choices()
    reasons = choices.get("rejection_reason", [])
    labels = cs.code_labels(choices)
    reason_names = labels.get("rejection_reason", {})
    actions = states.available_actions(application, user)
    return render(
        request,
        "review/review.html",
        {
            "application": application,
            "form": data["form"],
            "data": data,
            "reasons": reasons,
            "reason_names": reason_names,
            "own_application": access.is_own(user, application.applicant_id),
            "actions": actions,
            "reviewers": selectors.reassign_candidates(application) if "reassign" in actions else [],
            "id_masked": mask_id_number(application.id_number),
            "transfer_code": code_of_transfer_out(application),
        },
    )


def _button(request, application_id, act) -> HttpResponseRedirect:
    """A button on the review page: `act(application, user, ip)` runs the service and returns the
    success message; a refusal becomes a message (or the 404 page). Back to the review page."""
    user = _staff(request)
    try:
        application = services.application_for_staff(user=user, application_id=application_id)
        done = act(application, user, client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
    else:
        messages.success(request, done)
    return redirect("web:review_page", application_id)


@require_POST
@login_required
def claim(request, application_id):
    def act(application, user, ip):
        services.review_claim(application=application, actor=user, ip=ip)
        return "已受理，请审核后作出决定。"

    return _button(request, application_id, act)


@require_POST
@login_required
def decide(request, application_id):
    user = _staff(request)
    try:
        application = services.application_for_staff(user=user, application_id=application_id)
        application = services.review_decide(
            application=application,
            actor=user,
            decision=request.POST.get("decision", ""),
            reasons=request.POST.getlist("reasons"),
            comment=request.POST.get("comment", ""),
            ip=client_ip(request),
        )
    except ServiceError as exc:
        refuse_on_page(request, exc)
        return redirect("web:review_page", application_id)
    messages.success(
        request, f"已{'通过' if application.status == 'approved' else '驳回'}：{application.applicant_name}。"
    )
    return redirect("web:review_queue")


@never_cache
@login_required
def districts(request):
    access.require_staff(request.user, admin=True)
    rows = district_overview(province=settings.REGISTRY_JURISDICTION)
    return render(request, "review/districts.html", {"rows": rows})


@require_POST
@login_required
def release(request, application_id):
    def act(application, user, ip):
        services.review_release(application=application, actor=user, ip=ip)
        return "已退回待审核，本区审核员可重新受理。"

    return _button(request, application_id, act)


@require_POST
@login_required
def reassign(request, application_id):
    def act(application, user, ip):
        target = selectors.reassign_candidate(application, request.POST.get("reviewer", ""))
        services.review_reassign(application=application, actor=user, to_user=target, ip=ip)
        return f"已改派给 {target.name or target.phone}。"

    return _button(request, application_id, act)


@require_POST
@login_required
def revoke_code(request, application_id):
    from registry.transfers.services import transfer_code_revoke

    def act(application, user, ip):
        code = code_of_transfer_out(application)
        if code is None:
            raise ServiceError("not_found", "该申请没有调转编号。", status=404)
        transfer_code_revoke(actor=user, code=code.code)
        return f"已撤销调转编号 {code.code}，该人员信息恢复为正常状态。"

    return _button(request, application_id, act)
