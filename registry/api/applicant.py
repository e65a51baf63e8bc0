"""The applicant's API (API.md "The applicant", "The form", "Attachments")."""

import datetime as dt
import json

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.responses import NinjaJSONEncoder

from registry.accounts.access import get_visible_or_404
from registry.applications import selectors, services, states, storage
from registry.applications.export import personal_data_export
from registry.applications.form import CollectionForm, normalize_form
from registry.applications.models import Application
from registry.audit.services import client_ip
from registry.material_checks import selectors as material_checks

from .errors import ApiError
from .security import account_auth

router = Router(tags=["申请人"], auth=account_auth)


class CreateIn(Schema):
    type: str
    transfer_code: str | None = None
    origin_region: str | None = None  # transfer_in from a system without transfer codes
    origin_reference: str | None = None
    transfer_document: dict | None = None  # transfer_in from another deployment: its signed document


class TransferOutIn(Schema):
    destination_region: str


class TransferCodeOut(Schema):
    code: str
    destination_region: str
    source_district: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    status: str


class CheckOut(Schema):
    """One check of a material read back against the form (docs/materials.md)."""

    code: str
    ok: bool | None  # None: still running, or could not run ("未检查：…" in message)
    message: str
    found: str | None = None  # what was read from the material


class AttachmentOut(Schema):
    id: str
    kind: str
    ref: int | None
    size: int
    sha256: str
    content_type: str
    original_name: str
    width: int | None
    height: int | None
    url: str
    # A PDF's pages as PNG images (what reviewers look at); the PDF at `url` is a download.
    pages: list[str]
    uploaded_at: dt.datetime
    checks: list[CheckOut]


class EventOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    round: int
    note: str


class MissingOut(Schema):
    kind: str
    ref: int | None
    label: str


class ContactOut(Schema):
    code: str
    name: str
    bureau_name: str
    phone: str
    address: str


class OpinionOut(Schema):
    round: int
    decision: str
    reasons: list[str]
    comment: str
    decided_at: dt.datetime | None


class ApplicationOut(Schema):
    id: str
    type: str
    status: str
    status_label: str
    round: int
    district: str | None
    district_contact: ContactOut | None
    form: CollectionForm
    attachments: list[AttachmentOut]
    missing_materials: list[MissingOut]
    history: list[EventOut]
    opinion: OpinionOut | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    # What this person may do now (states.available_actions): edit, submit, withdraw, …
    actions: list[str]


class ApplicationSummary(Schema):
    id: str
    type: str
    status: str
    status_label: str
    district: str | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    actions: list[str]


class ApplicationList(Schema):
    results: list[ApplicationSummary]
    next: str | None = None


class StatusOut(Schema):
    status: str


class RecordOut(CollectionForm):
    status: str
    district: str
    version: int
    # Applications this person may start now (states.available_starts): change, transfer_out, …
    actions: list[str]


def attachment_out(a, form: dict) -> AttachmentOut:
    """One material; `form` is the application's form its checks compare with."""
    return AttachmentOut(**attachment_dict(a, form))


def attachment_dict(a, form: dict) -> dict:
    """AttachmentOut's fields, in its order, as plain values."""
    return {
        "id": str(a.pk),
        "kind": a.kind,
        "ref": a.ref,
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "original_name": a.original_name,
        "width": a.width,
        "height": a.height,
        "url": f"/api/v1/attachments/{a.pk}/content",
        "pages": [f"/api/v1/attachments/{a.pk}/pages/{n}" for n in range(1, len(a.pages) + 1)],
        "uploaded_at": a.created_at,
        # CheckOut's fields: `found` is there (null) when nothing was read.
        "checks": [
            {"code": c["code"], "ok": c["ok"], "message": c["message"], "found": c.get("found")}
            for c in material_checks.checks_of(a, form)
        ],
    }


def application_out(application: Application, user, history: tuple | None = None) -> dict:
    """ApplicationOut's fields, in its order, as plain values: the form normalized as the schema
    reads it (defaults filled, unknown keys dropped), everything else as ninja would dump it.
    `history`: history_of's answer with materials when the caller read it already."""
    district = selectors.derived_district(application)
    current, events, opinion = history or selectors.history_of(application, with_attachments=True)
    return {
        "id": str(application.pk),
        "type": application.type,
        "status": application.status,
        "status_label": application.get_status_display(),
        "round": application.round,
        "district": district or None,
        "district_contact": selectors.district_contact(district),
        "form": normalize_form(application.form),
        "attachments": [attachment_dict(a, application.form) for a in current],
        "missing_materials": selectors.missing_for(application, current),
        "history": [
            {"at": e.at, "kind": e.kind, "label": e.get_kind_display(), "round": e.round, "note": e.note}
            for e in events
        ],
        "opinion": opinion,
        "submitted_at": application.submitted_at,
        "created_at": application.created_at,
        "actions": sorted(states.available_actions(application, user)),
    }


def application_response(application: Application, user, history: tuple | None = None) -> HttpResponse:
    """The application answer rendered straight from plain values: building an ApplicationOut (and
    its parts) and having ninja validate and dump it again cost about 0.25 ms a call, rendering the
    values 0.04 ms. ApplicationOut still documents the answer, and
    tests/applications/test_applicant_answers.py pins it byte for byte against it."""
    body = json.dumps(application_out(application, user, history), cls=NinjaJSONEncoder)  # ninja's JSONRenderer
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def own_application(request, application_id) -> Application:
    """The caller's own application; 404 for anyone else's (staff use the review API)."""
    return selectors.own_application_or_404(request.auth, application_id)


@router.get("/me/record", response=RecordOut, summary="我的人员信息（审核通过的版本）")
def my_record(request):
    record = selectors.record_of(request.auth)
    if record is None:
        raise ApiError(404, "not_found", "您还没有审核通过的人员信息。")
    data = selectors.latest_version(record).data
    pending = selectors.applications_of(request.auth).open().first()
    starts = states.available_starts(request.auth, record=record, open_application=pending)
    return {
        **data,
        "status": record.status,
        "district": record.district_id,
        "version": record.version,
        "actions": sorted(starts),
    }


@router.get("/me/applications", response=ApplicationList, summary="我的申请")
def my_applications(request):
    return {
        "results": [
            ApplicationSummary(
                id=str(a.pk),
                type=a.type,
                status=a.status,
                status_label=a.get_status_display(),
                district=a.district_id,
                submitted_at=a.submitted_at,
                created_at=a.created_at,
                actions=sorted(states.available_actions(a, request.auth)),
            )
            for a in selectors.applications_of(request.auth)
        ]
    }


@router.post(
    "/me/applications",
    response={201: ApplicationOut},
    summary="新建申请",
    description=(
        "信息变更从已审核通过的信息开始填写，但不带上一次变更的“变更事项发生日期”。"
        "调入（原地区未出具调转编号）：`origin_region` 须为外省级行政区划代码，"
        "400 `unknown_code`：不是省级代码；400 `same_province`：是本系统所在的省（市）本身。"
        "409 `open_application_exists`：已有未办结的申请。"
    ),
)
def create_application(request, payload: CreateIn):
    application = services.application_create(
        applicant=request.auth,
        type=payload.type,
        transfer_code=payload.transfer_code or "",
        origin_region=payload.origin_region or "",
        origin_reference=payload.origin_reference or "",
        transfer_document=payload.transfer_document,
    )
    return Status(201, application_out(application, request.auth))


@router.post("/me/transfer-out", response={201: ApplicationOut}, summary="申请调出")
def transfer_out(request, payload: TransferOutIn):
    application = services.transfer_out_request(applicant=request.auth, destination_region=payload.destination_region)
    return Status(201, application_out(application, request.auth))


@router.get("/me/transfer-codes", response=list[TransferCodeOut], summary="我的调转编号")
def my_transfer_codes(request):
    from registry.transfers.selectors import codes_of
    from registry.transfers.services import code_state

    return [
        TransferCodeOut(
            code=c.code,
            destination_region=c.destination_region_id,
            source_district=c.source_district_id,
            issued_at=c.issued_at,
            expires_at=c.expires_at,
            status=code_state(c),
        )
        for c in codes_of(request.auth)
    ]


@router.get("/me/applications/{application_id}", response=ApplicationOut, summary="申请详情")
def application_detail(request, application_id: str):
    application, history = selectors.own_application_with_history_or_404(request.auth, application_id)
    return application_response(application, request.auth, history)


@router.put("/me/applications/{application_id}/form", response=ApplicationOut, summary="保存采集表（草稿可不完整）")
def save_form(request, application_id: str, payload: CollectionForm):
    # The history read with the application: a draft save adds no material, event or decision to it.
    application, history = selectors.own_application_with_history_or_404(request.auth, application_id)
    application = services.application_save_form(application=application, actor=request.auth, form=payload.model_dump())
    return application_response(application, request.auth, history)


@router.post("/me/applications/{application_id}/attachments", response={201: AttachmentOut}, summary="上传材料")
def upload(
    request,
    application_id: str,
    kind: Form[str],
    file: File[UploadedFile],
    ref: Form[int | None] = None,
):
    application = own_application(request, application_id)
    attachment = services.attachment_add(application=application, actor=request.auth, kind=kind, uploaded=file, ref=ref)
    return Status(201, attachment_out(attachment, application.form))


@router.delete(
    "/me/applications/{application_id}/attachments/{attachment_id}", response={204: None}, summary="删除材料"
)
def delete_attachment(request, application_id: str, attachment_id: str):
    application = own_application(request, application_id)
    attachment = get_visible_or_404(application.attachments.current(), request.auth, pk=attachment_id)
    services.attachment_remove(attachment=attachment, actor=request.auth)
    return Status(204, None)


@router.post(
    "/me/applications/{application_id}/submit",
    response=StatusOut,
    summary="提交审核",
    description=(
        "400 `invalid_form`：`errors` 一次列出全部问题，其中除表单和材料的校验外还有："
        "`id_number_taken`（字段 `basic.id_number`）：该证件号码已以表单所填姓名在其他账号下采集（不透露是谁），"
        "请认领原有信息或联系区财政局；"
        "`no_change`（字段为空）：信息变更与已审核通过的信息相同（仅变更事项发生日期不算修改）。"
    ),
)
def submit(request, application_id: str):
    application = services.application_submit(application=own_application(request, application_id), actor=request.auth)
    return {"status": application.status}


@router.post("/me/applications/{application_id}/withdraw", response=StatusOut, summary="撤回（审核员受理前）")
def withdraw(request, application_id: str):
    application = services.application_withdraw(
        application=own_application(request, application_id), actor=request.auth
    )
    return {"status": application.status}


@router.get("/me/export", summary="下载我的全部数据（JSON）")
def export(request):
    return personal_data_export(user=request.auth, ip=client_ip(request))


@router.get("/attachments/{attachment_id}/content", summary="材料文件（本人、所属区审核员、管理员）")
def attachment_content(request, attachment_id: str):
    attachment = selectors.attachment_for_read(request.auth, attachment_id)
    return serve_attachment(request, attachment)


@router.get(
    "/attachments/{attachment_id}/pages/{number}", summary="PDF 材料某一页的图片（PNG，上传时生成；访问范围同材料文件）"
)
def attachment_page(request, attachment_id: str, number: int):
    attachment = selectors.attachment_for_read(request.auth, attachment_id)
    if not 1 <= number <= len(attachment.pages):
        raise ApiError(404, "not_found", "该材料没有这一页。")
    return serve_attachment(request, attachment, page=number)


def serve_attachment(request, attachment, page: int | None = None):
    """Stream a stored material (or one rendered page of a PDF) with headers that stop a browser from
    treating it as anything else (the service audits staff reads)."""
    opened = services.attachment_open(attachment=attachment, user=request.auth, page=page, ip=client_ip(request))
    return storage.delivery_response(
        name=opened.name,
        stream=opened.stream,
        content_type=opened.content_type,
        disposition=opened.disposition,
        filename=opened.filename,
    )


@router.get("/me/transfer-codes/{code}/document", summary="下载调转文件（带签名，供调入地系统导入）")
def transfer_document(request, code: str):
    from registry.transfers.services import document_export

    return document_export(person=request.auth, code=code, ip=client_ip(request))
