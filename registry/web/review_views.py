"""The district's review workspace: queue, review page, claim and decide."""

import html
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access
from registry.applications import states
from registry.applications.models import ApplicationStatus, ApplicationType
from registry.audit.services import audit_search, client_ip
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
    audit_search(actor=user, q=params["q"], where="review_queue", district=params["district"], ip=client_ip(request))
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
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "review/queue.html",
        {
            "rows": _queue_rows_html(page.results),
            "counts_html": _counts_html(page.counts),
            "status_options": _filter_options(
                [(c, label) for c, label in ApplicationStatus.choices if c != ApplicationStatus.DRAFT], params["status"]
            ),
            "type_options": _filter_options(ApplicationType.choices, params["type"]),
            "district_options": _filter_options([(d.code, d.name) for d in districts], params["district"]),
            "params": params,
            "next_query": _with_cursor(query, page.next),
        },
    )


# The counts line and the filters' <option>s, written here like the rows below: template loops over
# the statuses, types and districts were a third of the page's template time (issue 17).
# tests/web/test_queue_rows.py pins their markup.
def _counts_html(counts: dict) -> str:
    e = html.escape
    return mark_safe(
        "".join(
            f'<span class="status status-{e(code)}">{e(str(label))} {counts[code]}</span> '
            for code, label in ApplicationStatus.choices
            if code in counts
        )
    )


def _filter_options(choices, selected) -> str:
    e = html.escape
    return mark_safe(
        "".join(
            f'<option value="{e(str(code))}" {"selected" if code == selected else ""}>{e(str(label))}</option>'
            for code, label in choices
        )
    )


# One table row of the queue. Written here rather than in the template: fifty rows of a dozen
# template variables each were ~70 % of the page's CPU (issue 17). Every value is escaped with
# html.escape, which is what the template's autoescape (django.utils.html.escape) does to a str.
# tests/web/test_queue_rows.py pins a row's markup.
_QUEUE_ROW = (
    '\n    <tr class="{}">\n'
    '      <td data-label="提交时间">{}</td>\n'
    '      <td data-label="姓名"><a href="{}">{}</a>{}</td>\n'
    '      <td data-label="证件号码">{}</td>\n'
    '      <td data-label="业务">{}</td>\n'
    '      <td data-label="区">{}</td>\n'
    '      <td data-label="状态"><span class="status status-{}">{}</span></td>\n'
    '      <td data-label="期限">{}{}</td>\n'
    '      <td data-label="受理人">{}</td>\n'
    "    </tr>\n  "
)
_RESUBMITTED = ' <span class="muted">第{}次</span>'
_OVERDUE_FLAG = ' <strong class="overdue-flag">超期</strong>'


def _queue_rows_html(rows: list[selectors.QueueRow]) -> str:
    """The queue's table rows: submitted time in local time (Y-m-d H:i), due date (m-d), labels
    from the choices, district names from the cached regions, the ID number masked."""
    placeholder = str(uuid.UUID(int=0))
    review_url = reverse("web:review_page", args=[placeholder])  # one reverse() for the page
    e = html.escape
    types = {code: e(str(label)) for code, label in ApplicationType.choices}
    statuses = {code: e(str(label)) for code, label in ApplicationStatus.choices}
    district_names: dict[str, str] = {}
    local = timezone.get_current_timezone()  # once: timezone.localtime() looks it up per call
    today = timezone.localdate()
    out = []
    for a in rows:
        overdue = selectors.is_overdue(a, today)
        district = district_names.get(a.district_id)
        if district is None:
            district = district_names[a.district_id] = e(getattr(refdata.region(a.district_id), "name", ""))
        out.append(
            _QUEUE_ROW.format(
                "overdue" if overdue else "",
                # "YYYY-MM-DD HH:MM" and "MM-DD" cut from ISO text: strftime is several times slower
                a.submitted_at.astimezone(local).isoformat(" ", "minutes")[:16] if a.submitted_at else "",
                review_url.replace(placeholder, str(a.pk)),  # our URL and a UUID: nothing to escape
                e(a.applicant_name),
                _RESUBMITTED.format(a.round) if a.round > 1 else "",
                e(mask_id_number(a.id_number)),
                types.get(a.type) or e(a.type),
                district,
                e(a.status),
                statuses.get(a.status) or e(a.status),
                a.due_on.isoformat()[5:] if a.due_on else "",
                _OVERDUE_FLAG if overdue else "",
                e(a.claimed_by_name or "—"),
            )
        )
    return mark_safe("".join(out))


def _with_cursor(query, cursor: str | None) -> str:
    if not cursor:
        return ""
    query = query.copy()
    query["cursor"] = cursor
    return query.urlencode()


@never_cache
@login_required
def review_page(request, application_id):
    return _review_page(request, _staff(request), application_id)


def _review_page(request, user, application_id, *, refused: ServiceError | None = None, submitted=None):
    """The review page. After a refused decision (`refused`), it is shown again with what the reviewer
    submitted (`submitted`: decision, reasons, comment) and why, answered with the refusal's status:
    nothing typed is lost, nothing was changed."""
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
    deciding = "approve" in actions or "reject" in actions
    if refused is not None and not deciding:
        messages.error(request, refused.message)  # no decision form to show it beside (decided meanwhile, …)
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
            "submitted": submitted or {"decision": "", "reasons": [], "comment": ""},
            "refused": refused if deciding else None,
        },
        status=refused.status if refused is not None else 200,
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
    submitted = {
        "decision": request.POST.get("decision", ""),
        "reasons": request.POST.getlist("reasons"),
        "comment": request.POST.get("comment", ""),
    }
    try:
        application = services.application_for_staff(user=user, application_id=application_id)
        application = services.review_decide(application=application, actor=user, ip=client_ip(request), **submitted)
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from None
        # The page again, with the reviewer's opinion and ticks as they were sent (not a redirect).
        return _review_page(request, user, application_id, refused=exc, submitted=submitted)
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
