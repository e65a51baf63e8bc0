"""The applicant's web pages: the step-by-step collection form, materials, review and status."""

from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from registry.accounts.access import get_visible_or_404
from registry.applications import selectors, services, states
from registry.applications.form import matches_id_number, normalize_form
from registry.applications.models import Application, ApplicationStatus, ApplicationType, AttachmentKind
from registry.applications.validation import late_change, required_materials
from registry.core import refdata
from registry.core.errors import RateLimited, ServiceError
from registry.review.selectors import is_overdue

from . import collection_steps as cs
from .field_markup import field_html


def _own(request, application_id) -> Application:
    return selectors.own_application_or_404(request.user, application_id)


def _open_application(user):
    return selectors.open_application_of(user)


@never_cache
@login_required
def start(request):
    """Pick the business type (or continue the open application)."""
    current = _open_application(request.user)
    if current is not None:
        if current.status == ApplicationStatus.DRAFT:
            return redirect("web:apply_step", current.pk, "basic")
        return redirect("web:apply_status", current.pk)
    record = selectors.record_of(request.user)
    refused = None
    if request.method == "POST":
        try:
            document = _uploaded_document(request)
            application = services.application_create(
                applicant=request.user,
                type=request.POST.get("type", ""),
                transfer_code=request.POST.get("transfer_code", ""),
                origin_region=request.POST.get("origin_region", ""),
                origin_reference=request.POST.get("origin_reference", ""),
                transfer_document=document,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            refused = exc
        else:
            return redirect("web:apply_step", application.pk, "basic")
    history = selectors.applications_of(request.user)[:10]
    response = render(
        request,
        "applicant/start.html",
        {
            "record": record,
            "history": history,
            "types": ApplicationType,
            "provinces": cs.origin_province_choices(),
            "starts": states.available_starts(request.user, record=record, open_application=None),
            # Why a collected person cannot file a change now (调出中, 冻结 …), told instead of "请办理变更".
            "change_refusal": states.start_refusal(request.user, ApplicationType.CHANGE, record) if record else None,
        },
    )
    if isinstance(refused, RateLimited):  # too many wrong transfer codes for a document
        response.status_code = 429
        response["Retry-After"] = str(refused.retry_after)
    return response


def _uploaded_document(request) -> dict | None:
    """A signed transfer document (JSON) from another province's system, if one was uploaded."""
    import json

    uploaded = request.FILES.get("transfer_document")
    if uploaded is None:
        return None
    if uploaded.size > 5 * 1024 * 1024:
        raise ServiceError("document_invalid", "调转文件过大，请确认上传的是原地区系统导出的调转文件。")
    try:
        return json.loads(uploaded.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ServiceError("document_invalid", "调转文件格式不正确：请上传原地区系统导出的调转文件（JSON）。") from None


@require_POST
@login_required
def transfer_out(request):
    try:
        application = services.transfer_out_request(
            applicant=request.user, destination_region=request.POST.get("destination_region", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("web:my_record")
    messages.success(request, "调出申请已提交，等待原管理区审核；审核通过后会出具调转编号。")
    return redirect("web:apply_status", application.pk)


def _step_context(request, application: Application, step: cs.Step, problems=None) -> dict:
    form = normalize_form(application.form)
    codes = cs.code_choices()
    units = cs.unit_choices()
    problems = problems if problems is not None else []
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.field, []).append(p.message)
    sections = []
    for section in step.sections:
        if section.repeat:
            entries = [
                [
                    _render_field(f, f"{section.key}.{i}.{f.name}", entry.get(f.name), codes, units, errors)
                    for f in section.fields
                ]
                for i, entry in enumerate(form[section.key])
            ]
            sections.append(
                {"section": section, "entries": entries, "count": len(entries), "errors": errors.get(section.key, [])}
            )
        else:
            values = form if not section.key else form[section.key]
            prefix = f"{section.key}." if section.key else ""
            fields = [
                _render_field(f, prefix + f.name, values.get(f.name), codes, units, errors) for f in section.fields
            ]
            if section.key == "basic":
                _mark_from_id_number(fields, form["basic"])
            sections.append({"section": section, "fields": fields})
    for block in sections:
        for item in [item for entry in block.get("entries", []) for item in entry] + block.get("fields", []):
            item["html"] = field_html(item)
    district = selectors.derived_district(application)
    return {
        "application": application,
        "step": step,
        "steps": cs.STEPS,
        "sections": sections,
        "district": selectors.district_contact(district),
        "next_step": _neighbour(step, +1),
        "previous_step": _neighbour(step, -1),
        "late": _late_change(application),
    }


def _late_change(application: Application):
    """(event, deadline) of a change filed later than 3 months after the event, told before submitting."""
    if application.type != ApplicationType.CHANGE:
        return None
    return late_change(normalize_form(application.form), on=timezone.localdate())


def _mark_from_id_number(fields: list[dict], basic: dict) -> None:
    """Birth date and gender that still equal what the ID number states are shown as "由身份证自动
    带出" and not typed over; on a mismatch they stay editable beside the warning."""
    matches = matches_id_number(basic)
    for item in fields:
        item["from_id"] = matches.get(item["spec"].name, False)
        item["id_source"] = item["spec"].name == "id_number"


def _neighbour(step: cs.Step, offset: int):
    index = cs.STEP_SLUGS.index(step.slug) + offset
    return cs.STEPS[index] if 0 <= index < len(cs.STEPS) else None


def _render_field(f: cs.Field, path: str, value, codes, units, errors) -> dict:
    choices = cs.choices_for(f, codes=codes)
    if f.widget == "unit":
        choices = units
    region = {}
    if f.widget == "region":
        province = (value or "")[:2] + "0000" if value else ""
        region = {
            "provinces": cs.province_choices(),
            "province": province,
            "counties": cs.counties_of(province) if province else [],
        }
    shown = "" if value is None else value
    if region:
        region["province_options"] = _options(region["provinces"], region["province"])
        region["county_options"] = _options(region["counties"], shown)
    return {
        "spec": f,
        "path": path,
        "dom_id": "f-" + path.replace(".", "-"),
        "value": shown,
        "choices": choices,
        "options": _options(choices, shown) if choices else "",
        "region": region,
        "errors": errors.get(path, []),
    }


def _options(choices, selected) -> str:
    """<option>s of a select, made here: a template loop over every ethnicity, province and county
    of every select was most of the step page's time."""
    selected = str(selected)
    # html.escape is django.utils.html.escape without its lazy-string wrapper (labels here are str).
    return mark_safe(
        "".join(
            f'<option value="{escape(str(value))}"{" selected" if str(value) == selected else ""}>'
            f"{escape(str(label))}</option>"
            for value, label in choices
        )
    )


@never_cache
@login_required
def step_view(request, application_id, slug):
    application = _own(request, application_id)
    step = cs.step_for(slug, application.type)
    if step is None or slug in ("materials", "review"):
        raise Http404
    if "edit" not in states.available_actions(application, request.user):
        return redirect("web:apply_status", application.pk)
    if request.method == "POST":
        form = cs.merge_step(application.form, step, request.POST)
        if request.POST.get("_add"):
            form = cs.add_entry(form, request.POST["_add"])
        try:
            application = services.application_save_form(application=application, actor=request.user, form=form)
            for section, removed in cs.removed_entries(step, request.POST).items():
                services.attachments_follow_removed_entries(application=application, section=section, removed=removed)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect("web:apply_step", application.pk, slug)
        if request.POST.get("_add") or request.POST.get("_stay") or any(k.endswith(".removed") for k in request.POST):
            return redirect("web:apply_step", application.pk, slug)
        # `_goto` comes from the step links; only a known step slug is followed (anything else, e.g.
        # "a/b", would not even build a URL), otherwise on to the next step.
        goto, following = request.POST.get("_goto", ""), _neighbour(step, +1)
        target = goto if goto in cs.STEP_SLUGS else (following.slug if following else "review")
        problems = _visible_problems(application, step)
        if problems and goto not in cs.STEP_SLUGS:
            # "保存，下一步" with mistakes on this page: saved, shown here at once, next step one click away.
            messages.error(
                request,
                f"已保存，但本页有 {len(problems)} 处需要更正（见红字）。可以先更正，也可以先填写下一步；提交前须全部更正。",
            )
            return redirect(_step_url(application, slug) + "?checked=1")
        return redirect(_step_url(application, target))
    problems = _visible_problems(application, step)
    context = _step_context(request, application, step, problems)
    context["checked_problems"] = problems if request.GET.get("checked") == "1" else []
    return render(request, "applicant/step.html", context)


def _step_url(application, slug):
    from django.urls import reverse

    if slug == "materials":
        return reverse("web:apply_materials", args=[application.pk])
    if slug == "review":
        return reverse("web:apply_review", args=[application.pk])
    return reverse("web:apply_step", args=[application.pk, slug])


# Shown on the review page only: "required" (an unfinished draft is normal while typing) and the
# scope checks, which depend on steps the applicant may not have reached yet.
REVIEW_ONLY_CODES = {"required", "out_of_scope", "category_mismatch"}


def _visible_problems(application, step):
    """Problems of this step's fields that concern what was typed, as the applicant types."""
    problems = services.problems_for(application, check_attachments=False, check_registry=False)
    return [p for p in problems if cs.step_of_field(p.field) == step.slug and p.code not in REVIEW_ONLY_CODES]


@require_POST
@login_required
def autosave(request, application_id, slug):
    """HTMX: save the step as it is typed, answer with a saved-at line and every field's current
    problems (out-of-band swaps into each field's error slot)."""
    application = _own(request, application_id)
    step = cs.step_for(slug, application.type)
    if step is None or "edit" not in states.available_actions(application, request.user):
        return HttpResponse(format_html('<span class="field-error">{}</span>', "申请已提交，不能再修改。"))
    form = cs.merge_step(application.form, step, request.POST)
    try:
        application = services.application_save_form(application=application, actor=request.user, form=form)
    except ServiceError as exc:
        return HttpResponse(format_html('<span class="field-error">{}</span>', exc.message))
    problems = _visible_problems(application, step)
    by_field: dict[str, list[str]] = {}
    for p in problems:
        by_field.setdefault(p.field, []).append(p.message)
    slots = []
    for section in step.sections:
        paths = []
        if section.repeat:
            for i in range(len(normalize_form(application.form)[section.key])):
                paths += [f"{section.key}.{i}.{f.name}" for f in section.fields]
        else:
            prefix = f"{section.key}." if section.key else ""
            paths += [prefix + f.name for f in section.fields]
        for path in paths:
            slots.append((("err-" + path.replace(".", "-")), " ".join(by_field.get(path, []))))
    status = format_html('<span class="ok">已自动保存 {}</span>', timezone.localtime().strftime("%H:%M:%S"))
    oob = format_html_join("", '<p id="{}" class="field-error" hx-swap-oob="true" role="alert">{}</p>', slots)
    return HttpResponse(status + oob)


@require_GET
@login_required
def region_options(request):
    province = request.GET.get("province", "")
    options = [("", "请选择区县")] + (cs.counties_of(province) if province else [])
    return HttpResponse(format_html_join("", '<option value="{}">{}</option>', options))


# --- Materials ----------------------------------------------------------------------------------


@never_cache
@login_required
def materials(request, application_id):
    application = _own(request, application_id)
    form = normalize_form(application.form)
    current = services.current_attachments(application)
    by_slot = {}
    for a in current:
        by_slot.setdefault((a.kind, a.ref), []).append(a)
    items = [
        {"kind": kind, "ref": ref, "label": label, "files": by_slot.get((kind, ref), []), "photo": kind == "photo"}
        for kind, ref, label in required_materials(form)
    ]
    others = by_slot.get(("other", None), []) + [a for a in current if a.kind == "other" and a.ref is not None]
    missing = selectors.missing_for(application)
    return render(
        request,
        "applicant/materials.html",
        {
            "application": application,
            "steps": cs.STEPS,
            "step": cs.step_by_slug("materials"),
            "items": items,
            "others": others,
            "missing": missing,
            "editable": "edit" in states.available_actions(application, request.user),
            "limits": {
                "megapixels_wan": settings.UPLOAD_MAX_PIXELS // 10_000,
                "pdf_pages": settings.UPLOAD_PDF_MAX_PAGES,
                "other_files": settings.UPLOAD_OTHER_MAX,
            },
        },
    )


@require_POST
@login_required
def material_upload(request, application_id):
    application = _own(request, application_id)
    kind = request.POST.get("kind", "")
    ref = request.POST.get("ref") or None
    uploaded = request.FILES.get("file")
    label = AttachmentKind(kind).label if kind in AttachmentKind.values else "材料"
    if uploaded is None:
        messages.error(request, f"{label}：请先选择文件。")
    else:
        try:
            services.attachment_add(
                application=application,
                actor=request.user,
                kind=kind,
                ref=int(ref) if ref is not None and str(ref).isdigit() else None,
                uploaded=uploaded,
            )
        except ServiceError as exc:
            messages.error(request, f"{label}未上传：{exc.message}")
        else:
            messages.success(request, f"{label}已上传。")
    return redirect("web:apply_materials", application.pk)


@require_POST
@login_required
def material_delete(request, application_id, attachment_id):
    application = _own(request, application_id)
    attachment = get_visible_or_404(application.attachments.current(), request.user, pk=attachment_id)
    try:
        services.attachment_remove(attachment=attachment, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已删除{attachment.get_kind_display()}。")
    return redirect("web:apply_materials", application.pk)


# --- Review, submit, status ---------------------------------------------------------------------


@never_cache
@login_required
def review(request, application_id):
    application = _own(request, application_id)
    actions = states.available_actions(application, request.user)
    if "edit" not in actions:
        return redirect("web:apply_status", application.pk)
    problems = services.problems_for(application)
    grouped = {}
    for p in problems:
        grouped.setdefault(cs.step_of_field(p.field), []).append(p)
    return render(
        request,
        "applicant/review.html",
        {
            "application": application,
            "steps": cs.STEPS,
            "step": cs.step_by_slug("review"),
            "form": normalize_form(application.form),
            "problems": problems,
            "grouped": [(cs.step_by_slug(slug), items) for slug, items in grouped.items()],
            "district": selectors.district_contact(selectors.derived_district(application)),
            "attachments": services.current_attachments(application),
            "late": _late_change(application),
            "actions": actions,
            "sla_days": selectors.review_sla_days(),
        },
    )


@require_POST
@login_required
def submit(request, application_id):
    application = _own(request, application_id)
    try:
        services.application_submit(application=application, actor=request.user)
    except services.FormProblems as exc:
        messages.error(request, exc.message)
        return redirect("web:apply_review", application.pk)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("web:apply_status", application.pk)
    messages.success(request, "已提交，等待所属区财政局审核。审核进度可在本页查看，结果也会短信通知您。")
    return redirect("web:apply_status", application.pk)


@require_POST
@login_required
def withdraw(request, application_id):
    application = _own(request, application_id)
    try:
        services.application_withdraw(application=application, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "申请已撤回。")
    return redirect("web:apply_status", application.pk)


@never_cache
@login_required
def status(request, application_id):
    application, (_attachments, events, opinion) = selectors.own_application_with_history_or_404(
        request.user, application_id, with_attachments=False
    )
    reasons = refdata.code_names().get("rejection_reason", {})  # retired reasons keep their names
    return render(
        request,
        "applicant/status.html",
        {
            "application": application,
            "events": events,
            "opinion": opinion,
            "opinion_reasons": [reasons.get(r, r) for r in (opinion or {}).get("reasons", [])],
            "district": selectors.district_contact(selectors.derived_district(application)),
            "actions": states.available_actions(application, request.user),
            # The limit the due date was set with: the one in force on the day of submission.
            "sla_days": selectors.review_sla_days(
                timezone.localdate(application.submitted_at) if application.submitted_at else None
            ),
            "waiting": application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW),
            "overdue": is_overdue(application),
        },
    )


def _province_options_except(prefix: str) -> str:
    """Every province but the one whose code starts with `prefix`, as <option>s: made once per copy
    of the reference data (the same thirty-odd options on every record page)."""
    return refdata.tables().memo(
        ("province options except", prefix),
        lambda: _options([(code, name) for code, name in cs.province_choices() if code[:2] != prefix], ""),
    )


@never_cache
@login_required
def my_record(request):
    from registry.transfers.documents import signing_key_ready
    from registry.transfers.services import code_state

    record, pending, transfer_codes, integrity_entries = selectors.record_page_of(request.user)
    codes = [
        {"code": c, "state": code_state(c), "destination": refdata.region(c.destination_region_id)}
        for c in transfer_codes
    ]
    return render(
        request,
        "applicant/record.html",
        {
            "codes": codes,
            # Without the signing key the document link would save the 503's JSON as the "document".
            "documents_ready": bool(codes) and signing_key_ready(),
            # Every province but the record's own, as the <option>s of the transfer-out select.
            "province_options": _province_options_except(record.district_id[:2]) if record else "",
            "record": record,
            "integrity_entries": integrity_entries,
            "form": selectors.record_form_of(record, request.user)
            if record and record.current_data is not None
            else None,
            "district": selectors.district_contact(record.district_id) if record else None,
            # Work in progress, and only what may be done now (states.available_actions / available_starts).
            "pending": pending,
            "actions": states.available_actions(pending, request.user) if pending else set(),
            "starts": states.available_starts(request.user, record=record, open_application=pending),
            "sla_days": selectors.review_sla_days(),
            "code_days": settings.TRANSFER_CODE_DAYS,
            "destination_name": dict(cs.province_choices()).get(pending.destination_region) if pending else None,
        },
    )
