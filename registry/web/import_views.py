"""Import of existing records (admins), the district's lost-phone path for an imported record
(staff), and claiming one's imported record (the person) — issue 15."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from registry.accounts import access
from registry.audit.services import client_ip
from registry.core.errors import RateLimited, ServiceError
from registry.imports import claims, selectors, services
from registry.imports.template import COLUMNS, LABELS, OPTIONAL_COLUMNS, template_csv

from .forms import CODE_ATTRS, PHONE_ATTRS
from .views import show_service_error

MAPPING_HELP = (
    "可选。原系统导出文件的列名或代码与本系统不同时上传（JSON）："
    '{"columns": {"身份证号": "id_number"}, "values": {"education_level": {"21": "bachelor"}}}'
)


class UploadForm(forms.Form):
    source = forms.CharField(
        label="来源系统名称",
        max_length=33,
        help_text="字母、数字、下划线或连字符，如 bj2019；同一来源重复导入不会重复创建。",
    )
    file = forms.FileField(label="导入文件（CSV 或 XLSX）")
    mapping = forms.FileField(label="字段映射文件", required=False, help_text=MAPPING_HELP)


CLAIM_CODE_SENT = "claim_code_sent"  # session: {"id_number", "sent_to"} of the last claim code sent


class ClaimForm(forms.Form):
    id_number = forms.CharField(label="证件号码", max_length=18, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class ClaimCodeForm(forms.Form):
    id_number = forms.CharField(widget=forms.HiddenInput)
    sms_code = forms.CharField(label="短信验证码", max_length=6, widget=forms.TextInput(attrs=CODE_ATTRS))


class DistrictClaimForm(forms.Form):
    id_number = forms.CharField(label="证件号码", max_length=18)
    new_phone = forms.CharField(
        label="本人现用手机号",
        max_length=20,
        widget=forms.TextInput(attrs=PHONE_ATTRS),
        # Either already an account's phone (claimed at its next login) or the one the person will
        # register with (claimed then): the service accepts both.
        help_text="本人已用其注册的，登录后即可认领；尚未注册的，本人用此号码注册后认领。",
    )
    identity_check = forms.CharField(label="身份核验方式", max_length=200, help_text="如：本人到场，核验身份证原件")


def _admin(user):
    access.require_staff(user, admin=True)


@never_cache
@login_required
def imports(request):
    """Upload a file (imported in the background), the batches so far, imported vs claimed by district."""
    _admin(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = None
            if form.cleaned_data["mapping"]:
                try:
                    mapping = json.loads(form.cleaned_data["mapping"].read().decode("utf-8-sig"))
                except (ValueError, UnicodeDecodeError):
                    raise ServiceError("invalid_mapping", "映射文件不是有效的 JSON。", field="mapping") from None
            upload = form.cleaned_data["file"]
            services.check_upload_size(upload.size)  # before reading it into memory
            batch = services.import_upload(
                actor=request.user,
                file_name=upload.name,
                content=upload.read(),
                source=form.cleaned_data["source"],
                mapping=mapping,
            )
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            return redirect("web:import_batch", batch.pk)
    return render(
        request,
        "imports/imports.html",
        {
            "form": form,
            "batches": selectors.batches_for(request.user)[:20],
            "by_district": selectors.imported_and_claimed_by_district(request.user),
            "columns": [(c, LABELS[c]) for c in COLUMNS],
            "optional_columns": [(c, LABELS[c]) for c in OPTIONAL_COLUMNS],
        },
    )


def _batch(request, batch_id):
    _admin(request.user)
    batch = selectors.batches_for(request.user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404
    return batch


@never_cache
@login_required
def import_batch(request, batch_id):
    """Progress of one import (refreshes itself until done)."""
    batch = _batch(request, batch_id)
    has_report = selectors.batches_for(request.user).filter(pk=batch.pk, report__isnull=False).exists()
    return render(request, "imports/batch.html", {"batch": batch, "has_report": has_report})


@never_cache
@login_required
def import_report(request, batch_id):
    batch = _batch(request, batch_id)
    report = services.import_report_read(batch=batch, actor=request.user, ip=client_ip(request))
    if report is None:
        raise Http404
    response = HttpResponse(report, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.source}-rejected.xlsx"'
    return response


@login_required
def import_template(request):
    _admin(request.user)
    response = HttpResponse("\ufeff" + template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="import-template.csv"'
    return response


@never_cache
@login_required
def claim(request):
    """The person: type the ID number; claimed at once, or by the code sent to the old phone.

    Where the code went (the masked phone) is kept in the session for the code's page: it stays
    on the page after a wrong code, and typing the same ID number again while a new code may not
    be sent yet leads back to the code's page instead of hiding it."""
    if access.is_staff_member(request.user):
        raise PermissionDenied
    if claims.has_record(request.user):  # the form would only end in "one record per person"
        messages.info(request, "您的账号已有人员信息，无需认领；信息有变化请办理“信息变更”。")
        return redirect("web:my_record")
    form, code_form, sent_to, notice = ClaimForm(request.POST or None), None, "", ""
    pending = request.session.get(CLAIM_CODE_SENT) or {}
    if request.method == "POST" and "sms_code" in request.POST:
        form = ClaimForm()
        code_form = ClaimCodeForm(request.POST)
        if code_form.is_valid():
            id_number = code_form.cleaned_data["id_number"]
            try:
                claims.claim_confirm(
                    user=request.user,
                    id_number=id_number,
                    sms_code=code_form.cleaned_data["sms_code"],
                    ip=client_ip(request),
                )
            except ServiceError as exc:
                # The ID number is a hidden field here: its errors (claimed meanwhile) go on the form.
                code_form.add_error("sms_code" if exc.field == "sms_code" else None, exc.message)
            else:
                request.session.pop(CLAIM_CODE_SENT, None)
                return _claimed(request)
            if pending.get("id_number") == claims.normalize_id(id_number):
                sent_to = pending["sent_to"]
    elif request.method == "POST" and form.is_valid():
        id_number = claims.normalize_id(form.cleaned_data["id_number"])
        try:
            answer = claims.claim_start(user=request.user, id_number=id_number, ip=client_ip(request))
        except RateLimited as exc:
            if pending.get("id_number") != id_number:
                show_service_error(form, exc)
            else:  # the code sent a moment ago is still good: back to where it is typed
                code_form, sent_to, notice = (
                    ClaimCodeForm(initial={"id_number": id_number}),
                    pending["sent_to"],
                    exc.message,
                )
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            if answer.get("claimed"):
                request.session.pop(CLAIM_CODE_SENT, None)
                return _claimed(request)
            sent_to = answer["sms_sent_to"]
            request.session[CLAIM_CODE_SENT] = {"id_number": id_number, "sent_to": sent_to}
            code_form = ClaimCodeForm(initial={"id_number": id_number})
    return render(
        request,
        "imports/claim.html",
        {
            "form": form,
            "code_form": code_form,
            "sent_to": sent_to,
            "notice": notice,
            "phone_match": claims.offered_by_phone(request.user),
        },
    )


def _claimed(request):
    messages.success(request, "认领成功：以下是您在原系统中的信息。如有不符，请办理“信息变更”。")
    return redirect("web:my_record")


@never_cache
@login_required
def staff_claim(request):
    """A reviewer who checked the person's identity by hand puts their account phone on the
    imported record (the person's old phone is gone); the person then claims it at once."""
    access.require_staff(request.user)
    form = DistrictClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = claims.claim_phone_by_district(actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request,
                f"已将 {person.record.name} 的原有信息手机号登记为 {person.phone}。请告知本人用该手机号登录后在“认领原有信息”中输入证件号码。",
            )
            return redirect("web:staff_import_claim")
    return render(request, "imports/staff_claim.html", {"form": form})
