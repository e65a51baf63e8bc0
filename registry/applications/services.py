"""Applicant-side use cases: create, save the form, upload materials, submit, withdraw, export."""

import copy
import datetime as dt
import uuid
from contextlib import nullcontext
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError as PydanticError

from registry.accounts import access
from registry.accounts.models import User
from registry.audit.services import audit_record
from registry.core import refdata
from registry.core.errors import Conflict, RateLimited, ServiceError, input_error_message
from registry.core.models import Region
from registry.core.ratelimit import record_attempt
from registry.core.workdays import add_working_days
from registry.material_checks import services as material_checks
from registry.records.models import Record
from registry.records.selectors import names_collected_elsewhere, names_match

from . import counts, states, storage
from .form import flatten, normalize_form, without_filing_fields
from .labels import path_order
from .materials import PDF, MaterialRejected, check_material, read_limited, render_pdf_pages, storage_name
from .models import (
    KINDS_WITH_REF,
    Application,
    ApplicationCertificate,
    ApplicationEvent,
    ApplicationRound,
    ApplicationStatus,
    ApplicationType,
    Attachment,
    AttachmentKind,
    EventKind,
    UploadAttempt,
)
from .selectors import review_sla_days
from .validation import Problem, managing_district, validate_form


class FormProblems(ServiceError):
    """Submission refused: every problem of the form and its materials at once."""

    def __init__(self, problems: list[Problem]):
        super().__init__("invalid_form", f"采集表有 {len(problems)} 处需要修改，请逐项修改后再提交。")
        self.problems = problems


def _lock_editable(application: Application) -> Application:
    """Lock the application row, check it is still editable, and bump its version: a submission that
    validated an older state then fails its conditional update instead of freezing the wrong files."""
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if not locked.is_editable:
        raise _not_editable()
    Application.objects.filter(pk=locked.pk).update(version=F("version") + 1)
    return locked


def _role(application: Application, actor: User) -> str:
    """The applicant's own actions are the applicant's; anyone else holds no role here."""
    return states.APPLICANT if actor is not None and actor.pk == application.applicant_id else ""


def _check_edit(application: Application, actor: User) -> None:
    """Editing the form or its materials: the owner, while the state table and its guards allow it."""
    if application.is_editable and _role(application, actor) != states.APPLICANT:
        raise ServiceError("not_found", "未找到该申请。", status=404)
    states.check(application, "edit", states.APPLICANT, actor=actor)


def _not_editable() -> Conflict:
    return Conflict("not_editable", "申请已提交，审核结果出来前不能修改；如需修改，请在审核员受理前撤回")


def _latest_data(record: Record) -> dict:
    return normalize_form(record.versions.order_by("-version").first().data)


def due_on_for(submitted_on: dt.date) -> dt.date:
    """The review deadline: the time limit in force on the day of submission, in working days."""
    return add_working_days(submitted_on, review_sla_days(submitted_on))


def _transfer_in_form(data: dict, applicant: User) -> dict:
    """A transferred record as the start of a transfer-in form: the new unit and residence are in
    this city, so the applicant fills their districts in."""
    form = without_filing_fields(normalize_form(data))
    form["basic"]["phone"] = applicant.phone
    form["employment"]["unit_district"] = ""
    form["basic"]["residence_district"] = ""
    return form


def application_create(
    *,
    applicant: User,
    type: str,
    transfer_code: str = "",
    origin_region: str = "",
    origin_reference: str = "",
    transfer_document: dict | None = None,
) -> Application:
    """Start a first collection, a change (pre-filled from the approved record) or a transfer in
    (with a transfer code, pre-filled from the transferred record; or, from a system without codes,
    with the origin's transfer number for the reviewer to confirm by hand)."""
    creatable = [ApplicationType.FIRST_COLLECTION, ApplicationType.CHANGE, ApplicationType.TRANSFER_IN]
    if type not in creatable:
        raise ServiceError(
            "invalid_type",
            "业务类型只能是 first_collection、change 或 transfer_in（调出请用 transfer-out）",
            field="type",
        )
    record = Record.objects.filter(user=applicant).first()
    if type != ApplicationType.TRANSFER_IN:  # a transfer in is checked below, by the way it arrives
        states.check_start(applicant, type, record)
    transfer_code = (transfer_code or "").strip()
    payload = None
    if type == ApplicationType.TRANSFER_IN and transfer_document is not None:
        from registry.transfers.services import document_verify, normalize_code

        # Before the transaction: a wrong code is counted even though nothing is created.
        payload = document_verify(document=transfer_document, code=transfer_code, applicant=applicant)
        # The code opened the document: it is the origin's reference, not one of ours to claim.
        origin_code, transfer_code = normalize_code(transfer_code), ""
    if type == ApplicationType.TRANSFER_IN and not transfer_code and payload is None:
        if not (origin_region and (origin_reference or "").strip()):
            raise ServiceError(
                "transfer_code_required",
                "办理调入请填写原地区出具的调转编号；原地区系统未出具编号的，请填写调出省份和原地调转编号。",
                field="transfer_code",
            )
        _check_origin_province(origin_region)
        states.check_start(applicant, type, record)
    # A change starts from the approved record, but not from the date of the change filed before.
    form = without_filing_fields(_latest_data(record)) if type == ApplicationType.CHANGE else normalize_form({})
    form["basic"]["phone"] = applicant.phone
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=applicant,
                type=type,
                form=form,
                transfer_code=transfer_code,
                origin_region=origin_region if not transfer_code else "",
                origin_reference=(origin_reference or "").strip()[:60] if not transfer_code else "",
            )
            if type == ApplicationType.TRANSFER_IN and transfer_code:
                from registry.transfers.services import transfer_code_claim

                code = transfer_code_claim(code=transfer_code, applicant=applicant, application=application)
                form = _transfer_in_form(_latest_data(code.record), applicant)
                Application.objects.filter(pk=application.pk).update(form=form, transfer_code=code.code)
                application.refresh_from_db()
            elif payload is not None:
                from registry.transfers.services import document_claim

                document_claim(payload=payload, applicant=applicant, application=application)
                form = _transfer_in_form(payload["record"]["versions"][-1]["data"], applicant)
                Application.objects.filter(pk=application.pk).update(
                    form=form,
                    transfer_document=transfer_document,
                    origin_region=payload["issuer"]["region"],
                    origin_reference=origin_code,
                )
                application.refresh_from_db()
            if type == ApplicationType.CHANGE:
                approved = (
                    Application.objects.filter(applicant=applicant, status=ApplicationStatus.APPROVED)
                    .exclude(type=ApplicationType.TRANSFER_OUT)
                    .order_by("-decided_at")
                    .first()
                )
                if approved is not None:
                    _copy_approved_materials(source=approved, target=application, actor=applicant)
            event_add(application=application, kind=EventKind.CREATED, actor=applicant)
            audit_record(
                action="application.create",
                actor=applicant,
                target=application,
                # Never a code itself: a transfer code is the second factor of a transfer.
                details={
                    "type": type,
                    "origin_region": application.origin_region,
                    "with_transfer_code": bool(application.transfer_code),
                    "with_transfer_document": payload is not None,
                },
            )
    except IntegrityError:
        raise _open_exists() from None
    return application


def _check_origin_province(origin_region: str) -> None:
    """A transfer in without a code names the province it comes from: another province than this
    deployment's own (moving inside it is a change, or a transfer code of this system)."""
    province = dict(refdata.provinces()).get(origin_region)
    if province is None:
        raise ServiceError("unknown_code", "调出省份须为省级行政区划代码，如 130000（河北省）。", field="origin_region")
    if refdata.in_home_province(origin_region):
        raise ServiceError(
            "same_province",
            f"“调入”是从外省（区、市）调入{province}，调出省份不能是{province}本身；"
            f"在{province}内更换单位或管理区，请办理“信息变更”。",
            field="origin_region",
        )


def event_add(
    *, application: Application, kind: str, actor: User, note: str = "", round: int | None = None
) -> ApplicationEvent:
    """One line of the timeline the applicant sees (of the current round unless told). The only
    writer of ApplicationEvent."""
    return ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        round=application.round if round is None else round,
        actor=actor,
        note=note,
    )


def round_open(
    *, application: Application, form: dict, attachments: list[dict], district: str, at: dt.datetime
) -> ApplicationRound:
    """What was submitted in this round (never changed afterwards but for the decision)."""
    return ApplicationRound.objects.create(
        application=application,
        number=application.round,
        form=form,
        attachments=attachments,
        district_id=district,
        submitted_at=at,
    )


def round_decide(
    *, application: Application, decision: str, reasons: list[str], comment: str, actor: User, at: dt.datetime
) -> None:
    """The reviewer's answer to the current round (review.services.review_decide calls this)."""
    ApplicationRound.objects.filter(application=application, number=application.round).update(
        decision=decision, reasons=reasons, comment=comment, decided_by=actor, decided_at=at
    )


def transfer_out_request(*, applicant: User, destination_region: str) -> Application:
    """调出: goes straight to the source district's queue; approval issues a transfer code."""
    record = Record.objects.filter(user=applicant).first()
    states.check_start(applicant, ApplicationType.TRANSFER_OUT, record)
    destination = Region.objects.filter(code=destination_region, level="province").first()
    if destination is None:
        raise ServiceError(
            "unknown_code", "调往地区须为省级行政区划代码，如 130000（河北省）。", field="destination_region"
        )
    if destination.province_code == record.district_id[:2]:
        raise ServiceError(
            "same_province", "在本省（市）内变更管理区请办理“信息变更”，无需调出。", field="destination_region"
        )
    form = _latest_data(record)
    now = timezone.now()
    try:
        with transaction.atomic():
            application = Application.objects.create(
                applicant=applicant,
                type=ApplicationType.TRANSFER_OUT,
                status=ApplicationStatus.SUBMITTED,
                form=form,
                district_id=record.district_id,
                destination_region=destination.code,
                round=1,
                submitted_at=now,
                first_submitted_at=now,
                due_on=due_on_for(timezone.localdate(now)),
                applicant_name=record.name,
                id_number=record.id_number,
            )
            counts.moved(None, counts.key_of(application))  # created straight into the queue
            round_open(application=application, form=form, attachments=[], district=record.district_id, at=now)
            event_add(application=application, kind=EventKind.CREATED, actor=applicant, round=0)
            event_add(application=application, kind=EventKind.SUBMITTED, actor=applicant)
            audit_record(
                action="application.transfer_out",
                actor=applicant,
                target=application,
                district=record.district_id,
                details={"destination": destination.code},
            )
    except IntegrityError:
        raise _open_exists() from None
    return application


def _open_exists() -> Conflict:
    return Conflict("open_application_exists", "您已有一份未办结的申请，请先完成或撤回该申请。")


def form_changes(old: dict, new: dict) -> dict[str, dict]:
    """{path: {"old", "new"}} of every path whose value differs, in the form's order: the `field`,
    `old` and `new` of review.diff.form_diff without its labels (which read the code tables), as
    the audit row of a save records them. An equal form (autosave) costs one comparison."""
    old, new = old or {}, new or {}
    if old == new:
        return {}
    before, after = flatten(old), flatten(new)
    changes = {}
    for path in sorted(set(before) | set(after), key=path_order):
        a, b = before.get(path), after.get(path)
        if (a in ("", None, [], False) and b in ("", None, [], False)) or a == b:
            continue
        changes[path] = {"old": a, "new": b}
    return changes


def _write_form(application: Application, form: dict, now: dt.datetime) -> bool:
    """The draft save's one conditional UPDATE (form, version + 1, updated_at while the application
    is a draft or rejected); False when it no longer is. Written out rather than built through
    QuerySet.update: building and compiling that cost more than the statement (issue 17). The
    values go through the fields' own preparation, as the ORM's update does."""
    using = router.db_for_write(Application)  # also marks the request as having written (replica.py)
    connection = connections[using]
    meta, quote = Application._meta, connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in ("id", "form", "version", "updated_at", "status")}
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {column['form']} = %s, {column['version']} = {column['version']} + 1, "
        f"{column['updated_at']} = %s WHERE {column['id']} = %s AND {column['status']} IN (%s, %s)"
    )
    params = [
        meta.get_field("form").get_db_prep_save(form, connection),
        meta.get_field("updated_at").get_db_prep_save(now, connection),
        meta.pk.get_db_prep_save(application.pk, connection),
        ApplicationStatus.DRAFT.value,
        ApplicationStatus.REJECTED.value,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def application_save_form(*, application: Application, actor: User, form: dict) -> Application:
    """Save the whole form (a draft may be incomplete). Only the owner, only while editable."""
    _check_edit(application, actor)
    try:
        normalized = normalize_form(form)
    except PydanticError as exc:
        raise ServiceError("invalid_input", f"采集表{input_error_message(exc.errors()[0])}") from None
    # _check_edit admitted the owner only: the actor is the applicant (no query for the account).
    account_phone = actor.phone if actor.pk == application.applicant_id else application.applicant.phone
    normalized["basic"]["phone"] = normalized["basic"]["phone"] or account_phone
    changes = form_changes(normalize_form(application.form), normalized)
    now = timezone.now()
    # A save without changes (autosave sends the same form again and again) is one UPDATE, atomic
    # by itself; a change adds its audit row in the same transaction.
    with transaction.atomic() if changes else nullcontext():
        if not _write_form(application, normalized, now):
            raise _not_editable()
        if changes:  # only a change is a write worth a row
            audit_record(
                action="application.save_form",
                actor=actor,
                target=application,
                district=application.district_id or "",
                details={"changes": changes},
            )
    # What was written, without reading the row back (the form is plain JSON: it reads back equal).
    application.form, application.version, application.updated_at = normalized, application.version + 1, now
    if actor.pk == application.applicant_id:
        application.applicant = actor  # problems_for and the answer need the account's phone
    return application


def current_attachments(application: Application) -> list[Attachment]:
    return list(application.attachments.current().order_by("created_at"))


def problems_for(
    application: Application, *, check_attachments: bool = True, check_registry: bool = True
) -> list[Problem]:
    """Every problem that stops the submission. The form's own checks (validation.py), its materials
    unless `check_attachments` is False (then they are not read either), and unless `check_registry`
    is False what the registry already holds: the ID number collected under another account, a
    change that changes nothing. The step pages leave both out (checked as the person types); the
    check page and the submission ask everything."""
    form = normalize_form(application.form)
    attachments = (
        [{"kind": a.kind, "ref": a.ref} for a in current_attachments(application)] if check_attachments else []
    )
    problems = validate_form(
        form,
        attachments=attachments,
        account_phone=application.applicant.phone,
        check_attachments=check_attachments,
        application_type=application.type,
    )
    if check_registry:
        problems += _registry_problems(application, form)
    return problems


def _registry_problems(application: Application, form: dict) -> list[Problem]:
    problems = []
    id_number, name = form["basic"]["id_number"].strip().upper(), form["basic"]["name"]
    taken_as = names_collected_elsewhere(id_number=id_number, user=application.applicant) if id_number else []
    if any(names_match(name, other) for other in taken_as):
        # One person, one account (PRODUCT.md "Accounts"): refused here, not only at the approval.
        # Only for the name it is collected under, as the verification answers: this page must not
        # tell anyone with an account whether an arbitrary ID number is in the registry. Someone
        # else's number under another name is stopped at the approval.
        problems.append(
            Problem(
                "basic.id_number",
                "id_number_taken",
                "该证件号码已在本系统采集（登记在其他账号下），不能重复采集。如是您本人的信息，"
                "请通过“认领原有信息”找回；原账号的手机号已停用的，请联系所在区财政局办理。",
            )
        )
    if application.type == ApplicationType.CHANGE and _changes_nothing(application, form):
        problems.append(
            Problem(
                "",
                "no_change",
                "本次信息变更与已审核通过的信息相比没有任何修改（仅填写变更事项发生日期不算修改）。"
                "请修改发生变化的信息后再提交；信息没有变化的，无需办理变更，可撤回本申请。",
            )
        )
    return problems


def _changes_nothing(application: Application, form: dict) -> bool:
    """A change whose form is the approved record's, but for the fields of the filing itself."""
    record = Record.objects.filter(user_id=application.applicant_id).first()
    if record is None:
        return False  # nothing to compare with (the start refuses a change without a record)
    filed = without_filing_fields(copy.deepcopy(form))  # the caller's form stays as it is
    return not form_changes(without_filing_fields(_latest_data(record)), filed)


def application_submit(*, application: Application, actor: User) -> Application:
    # Work on the stored state: what is validated is what the version check at the move protects.
    application = Application.objects.select_related("applicant").get(pk=application.pk)
    states.check(application, "submit", _role(application, actor), actor=actor)
    problems = problems_for(application)
    if application.transfer_document:
        expected = application.transfer_document["payload"]["person"]["id_number"]
        if normalize_form(application.form)["basic"]["id_number"].strip().upper() != expected:
            problems.append(
                Problem("basic.id_number", "id_mismatch", "证件号码须与调转文件中的身份证号码一致（调入的是同一个人）")
            )
    if problems:
        raise FormProblems(problems)
    form = normalize_form(application.form)
    district = managing_district(form)
    now = timezone.now()
    resubmission = application.status == ApplicationStatus.REJECTED
    due_on = due_on_for(timezone.localdate(now))
    with transaction.atomic():
        application = states.move(
            application,
            "submit",
            _role(application, actor),
            actor=actor,
            district_id=district,
            round=application.round + 1,
            submitted_at=now,
            first_submitted_at=application.first_submitted_at or now,
            due_on=due_on,
            applicant_name=form["basic"]["name"][:50],
            id_number=form["basic"]["id_number"].strip().upper()[:18],
            claimed_by=None,
            claimed_at=None,
        )
        application.certificates.all().delete()
        numbers = {q["certificate_number"].strip().upper() for q in form["qualifications"] + form["practicing"]}
        ApplicationCertificate.objects.bulk_create(
            ApplicationCertificate(application=application, number=n) for n in sorted(numbers) if n
        )
        round_open(
            application=application,
            form=form,
            attachments=[
                {"id": str(a.pk), "kind": a.kind, "ref": a.ref, "sha256": a.sha256, "size": a.size}
                for a in current_attachments(application)
            ],
            district=district,
            at=now,
        )
        event_add(
            application=application, kind=EventKind.RESUBMITTED if resubmission else EventKind.SUBMITTED, actor=actor
        )
        audit_record(
            action="application.submit",
            actor=actor,
            target=application,
            district=district,
            details={"type": application.type, "round": application.round},
        )
    return application


def application_withdraw(*, application: Application, actor: User) -> Application:
    with transaction.atomic():
        application = states.move(application, "withdraw", _role(application, actor), actor=actor)
        if application.type == ApplicationType.TRANSFER_IN:
            from registry.transfers.services import document_release, transfer_code_release

            transfer_code_release(application=application, actor=actor)
            document_release(application=application, actor=actor)
        event_add(application=application, kind=EventKind.WITHDRAWN, actor=actor)
        audit_record(
            action="application.withdraw", actor=actor, target=application, district=application.district_id or ""
        )
    return application


# --- Materials -------------------------------------------------------------------------------


def _in_submitted_round(attachment: Attachment) -> bool:
    return any(str(attachment.pk) in {a["id"] for a in r.attachments} for r in attachment.application.rounds.all())


def _retire(attachment: Attachment, now) -> None:
    """Hide from the current form; delete for good unless an earlier round refers to it."""
    if _in_submitted_round(attachment):
        Attachment.objects.filter(pk=attachment.pk).update(removed_at=now)
    else:
        names = attachment.stored_names()
        attachment.delete()
        transaction.on_commit(lambda: storage.delete_quietly(names))


def _limit_uploads(actor: User) -> None:
    """At most UPLOAD_HOURLY_LIMIT uploads per account per hour, refused ones included: every upload
    costs a decode (and a PDF a rendering) whatever its outcome."""
    limit = settings.UPLOAD_HOURLY_LIMIT
    record_attempt(
        UploadAttempt,
        user=actor,
        now=timezone.now(),
        limit=limit,
        window=dt.timedelta(hours=1),
        refusal=lambda wait: RateLimited(
            "rate_limited",
            f"上传过于频繁：每小时最多上传 {limit} 个文件，请 {int(wait // 60) + 1} 分钟后再试。",
            retry_after=wait,
        ),
    )


def _check_room_for_other(application: Application) -> None:
    if application.attachments.current().filter(kind=AttachmentKind.OTHER).count() >= settings.UPLOAD_OTHER_MAX:
        raise ServiceError(
            "too_many_attachments",
            f"“其他材料”最多 {settings.UPLOAD_OTHER_MAX} 个文件，请先删除不需要的文件再上传。",
            field="kind",
        )


def _store_pages(pdf: bytes, base: str, stored: list[str]) -> list[dict]:
    """Render a PDF's pages and store them as PNG images beside it (`<base>-p1.png`, …), one at a time."""
    pages = []
    for page in render_pdf_pages(pdf):
        stored.append(storage.save(f"{base}-p{page.number}.png", page.content))
        pages.append({"name": stored[-1], "width": page.width, "height": page.height, "sha256": page.sha256})
    return pages


def _store(checked, name: str, stored: list[str]) -> list[dict]:
    """Store a checked file and, for a PDF, its page images. Every name written is appended to
    `stored`, so the caller can remove them all if anything fails."""
    stored.append(storage.save(name, checked.content))
    if checked.content_type != PDF:
        return []
    return _store_pages(checked.content, stored[0].rsplit(".", 1)[0], stored)


def attachment_add(*, application: Application, actor: User, kind: str, uploaded, ref: int | None = None) -> Attachment:
    """Check the file by content, store it under an unguessable name, and replace an earlier file
    of the same kind (and entry). A refused file, or a storage failure, leaves nothing behind."""
    _check_edit(application, actor)
    if kind not in AttachmentKind.values:
        raise ServiceError("unknown_code", f"材料类型“{kind}”不存在", field="kind")
    if kind in KINDS_WITH_REF:
        section = KINDS_WITH_REF[kind]
        entries = len(normalize_form(application.form)[section])
        if ref is None or not 0 <= ref < entries:
            raise ServiceError(
                "invalid_ref", f"请指明对应第几条{_SECTION_LABELS[section]}（ref 为从 0 开始的序号）", field="ref"
            )
    elif kind != AttachmentKind.OTHER:
        ref = None
    _limit_uploads(actor)
    if kind == AttachmentKind.OTHER:
        _check_room_for_other(application)  # before the work; again under the lock below
    stored: list[str] = []
    try:
        data = read_limited(uploaded)
        checked = check_material(kind, data)
        pages = _store(checked, storage_name(application.pk, checked), stored)
        attachment = Attachment(
            application=application,
            kind=kind,
            ref=ref,
            file=stored[0],
            original_name=(getattr(uploaded, "name", "") or "")[-200:],
            content_type=checked.content_type,
            size=len(checked.content),
            sha256=checked.sha256,
            width=checked.width,
            height=checked.height,
            pages=pages,
            uploaded_by=actor,
        )
        with transaction.atomic():
            _lock_editable(application)
            replaced = []
            if kind == AttachmentKind.OTHER:
                _check_room_for_other(application)
            else:
                now = timezone.now()
                for old in application.attachments.current().filter(kind=kind, ref=ref):
                    replaced.append({"id": str(old.pk), "sha256": old.sha256})
                    _retire(old, now)
            attachment.save()
            audit_record(
                action="attachment.add",
                actor=actor,
                target=attachment,
                district=application.district_id or "",
                details={
                    "application": str(application.pk),
                    "kind": kind,
                    "ref": ref,
                    "sha256": checked.sha256,
                    "size": len(checked.content),
                    "replaced": replaced,
                },
            )
            material_checks.reading_schedule(attachment=attachment)  # read back after commit, off the request
    except MaterialRejected as exc:
        storage.delete_quietly(stored)
        raise ServiceError(exc.code, exc.message, status=exc.status, field="file") from None
    except BaseException:
        storage.delete_quietly(stored)  # no orphan file when the row is not written
        raise
    return attachment


_SECTION_LABELS = {"education": "学历", "qualifications": "专业技术资格", "practicing": "执业资格"}


def attachment_remove(*, attachment: Attachment, actor: User) -> None:
    _check_edit(attachment.application, actor)
    with transaction.atomic():
        _lock_editable(attachment.application)
        target_id = str(attachment.pk)  # the row may be deleted for good just below
        _retire(attachment, timezone.now())
        audit_record(
            action="attachment.remove",
            actor=actor,
            target_type=Attachment._meta.label_lower,
            target_id=target_id,
            district=attachment.application.district_id or "",
            details={
                "application": str(attachment.application_id),
                "kind": attachment.kind,
                "ref": attachment.ref,
                "sha256": attachment.sha256,
            },
        )


def attachments_follow_removed_entries(*, application: Application, section: str, removed: list[int]) -> None:
    """After entries of a repeatable section are deleted, materials keyed by position follow: those
    of deleted entries are retired, later ones move up, so a diploma never attaches to the wrong degree."""
    kinds = [kind for kind, owner in KINDS_WITH_REF.items() if owner == section]
    if not removed or not kinds:
        return
    now = timezone.now()
    with transaction.atomic():
        _lock_editable(application)
        for attachment in application.attachments.current().filter(kind__in=kinds, ref__isnull=False):
            if attachment.ref in removed:
                _retire(attachment, now)
            else:
                shift = sum(1 for r in removed if r < attachment.ref)
                if shift:
                    Attachment.objects.filter(pk=attachment.pk).update(ref=attachment.ref - shift)


def _copy_approved_materials(*, source: Application, target: Application, actor: User) -> None:
    """A change starts with the materials of the approved application (copied: each application
    owns its files, page images included), so only what changed needs a new upload."""
    stored: list[str] = []
    try:
        for attachment in source.attachments.current():
            token = uuid.uuid4().hex
            base = f"materials/{token[:2]}/{token}"
            extension = attachment.file.name.rsplit(".", 1)[-1]
            original = storage.save(f"{base}.{extension}", storage.read(attachment.file.name))
            stored.append(original)
            pages = []
            for number, page in enumerate(attachment.pages, start=1):
                stored.append(storage.save(f"{base}-p{number}.png", storage.read(page["name"])))
                pages.append({**page, "name": stored[-1]})
            copy = Attachment.objects.create(
                application=target,
                kind=attachment.kind,
                ref=attachment.ref,
                file=original,
                original_name=attachment.original_name,
                content_type=attachment.content_type,
                size=attachment.size,
                sha256=attachment.sha256,
                width=attachment.width,
                height=attachment.height,
                pages=pages,
                uploaded_by=actor,
            )
            material_checks.reading_copy(source=attachment, target=copy)
    except BaseException:
        storage.delete_quietly(stored)  # the caller's transaction rolls back the rows; the files go too
        raise


@dataclass(frozen=True)
class OpenedFile:
    name: str
    stream: object
    content_type: str
    disposition: str
    filename: str


def attachment_open(
    *, attachment: Attachment, user: User, page: int | None = None, ip: str | None = None
) -> OpenedFile:
    """A stored material (or one rendered page of a PDF) opened for reading. Staff reads are reads of
    personal data: audited, after the file opened (a read that fails is no read)."""
    if page:
        name, content_type, disposition = attachment.pages[page - 1]["name"], "image/png", "inline"
        filename = f"{attachment.kind}-{page}.png"
    else:
        # A PDF is never shown inline: browsers' PDF viewers run what is inside it (and refuse the
        # sandbox). Its pages are shown as the images rendered at upload; the PDF is a download.
        name, content_type = attachment.file.name, attachment.content_type
        disposition = "attachment" if content_type == PDF else "inline"
        filename = f"{attachment.kind}.{name.rsplit('.', 1)[-1]}"
    stream = storage.open_for_reading(name)
    if user.pk != attachment.application.applicant_id and access.is_staff_member(user):
        details = {"kind": attachment.kind, "application": str(attachment.application_id)}
        audit_record(
            action="attachment.read",
            actor=user,
            target=attachment,
            district=attachment.application.district_id or "",
            ip=ip,
            details={**details, "page": page} if page else details,
        )
    return OpenedFile(name=name, stream=stream, content_type=content_type, disposition=disposition, filename=filename)


def attachment_render_pages(*, attachment: Attachment) -> str | None:
    """Backfill for PDFs stored before pages were rendered at upload: render and store the pages, so
    reviewers see images instead of opening the PDF. Returns the code of what today's check refuses
    in that PDF (e.g. "pdf_active_content"), None when it would pass; the file is kept either way —
    it may belong to a submitted round — and the caller reports it."""
    data = storage.read(attachment.file.name)
    try:
        check_material(attachment.kind, data)
        refused = None
    except MaterialRejected as exc:
        refused = exc.code
    stored: list[str] = []
    try:
        pages = _store_pages(data, attachment.file.name.rsplit(".", 1)[0], stored)
        with transaction.atomic():
            if Attachment.objects.filter(pk=attachment.pk, pages=[]).update(pages=pages) == 0:
                storage.delete_quietly(stored)  # rendered meanwhile by another run
    except BaseException:
        storage.delete_quietly(stored)
        raise
    return refused
