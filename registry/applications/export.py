"""“Download all my data”: every piece of the person's own data, as JSON (个人信息保护法 access right)."""

from django.db.models import Q

from registry.accounts.models import LoginAttempt
from registry.audit.models import AuditEntry
from registry.audit.services import audit_record
from registry.records.models import Record
from registry.transfers.models import TransferCode

from .models import Application, Attachment


def personal_data_export(*, user, ip: str | None = None) -> dict:
    """Audited first, so the export lists its own download among the person's audit entries."""
    audit_record(action="privacy.export", actor=user, target=user, ip=ip)
    record = Record.objects.filter(user=user).first()
    applications = list(Application.objects.filter(applicant=user).order_by("created_at"))
    targets = Q(target_type="accounts.user", target_id=str(user.pk))
    if record:
        targets |= Q(target_type="records.record", target_id=str(record.pk))
    for application in applications:
        targets |= Q(target_type="applications.application", target_id=str(application.pk))
    attachment_ids = [
        str(pk) for pk in Attachment.objects.filter(application__in=applications).values_list("pk", flat=True)
    ]
    targets |= Q(target_type="applications.attachment", target_id__in=attachment_ids)
    return {
        "account": {
            "id": str(user.pk),
            "phone": user.phone,
            "name": user.name,
            "id_number": user.id_number,
            "role": user.role,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "record": None
        if record is None
        else {
            "status": record.status,
            "district": record.district_id,
            "version": record.version,
            "versions": [
                {
                    "version": v.version,
                    "district": v.district_id,
                    "source": v.source,
                    "created_at": v.created_at,
                    "data": v.data,
                }
                for v in record.versions.order_by("version")
            ],
        },
        "applications": [
            {
                "id": str(a.pk),
                "type": a.type,
                "status": a.status,
                "district": a.district_id,
                "created_at": a.created_at,
                "form": a.form,
                "rounds": [
                    {
                        "number": r.number,
                        "submitted_at": r.submitted_at,
                        "form": r.form,
                        "attachments": r.attachments,
                        "decision": r.decision,
                        "reasons": r.reasons,
                        "comment": r.comment,
                        "decided_at": r.decided_at,
                    }
                    for r in a.rounds.order_by("number")
                ],
                "timeline": [{"at": e.at, "kind": e.kind, "round": e.round, "note": e.note} for e in a.events.all()],
                "attachments": [
                    {
                        "id": str(f.pk),
                        "kind": f.kind,
                        "ref": f.ref,
                        "original_name": f.original_name,
                        "content_type": f.content_type,
                        "size": f.size,
                        "sha256": f.sha256,
                        "uploaded_at": f.created_at,
                        "removed_at": f.removed_at,
                        "download": f"/api/v1/attachments/{f.pk}/content",
                    }
                    for f in a.attachments.order_by("created_at")
                ],
            }
            for a in applications
        ],
        "transfer_codes": [
            {
                "code": c.code,
                "destination_region": c.destination_region_id,
                "issued_at": c.issued_at,
                "expires_at": c.expires_at,
                "used_at": c.used_at,
                "revoked_at": c.revoked_at,
            }
            for c in TransferCode.objects.filter(person=user).order_by("issued_at")
        ],
        "district_moves": []
        if record is None
        else [
            {"at": m.at, "from": m.from_district_id, "to": m.to_district_id, "version": m.version}
            for m in record.moves.order_by("at")
        ],
        **_later_domains(user, record, applications),
        "logins": [
            {"at": attempt.at, "ip": attempt.ip, "success": attempt.success}
            for attempt in LoginAttempt.objects.filter(account_key=f"user:{user.pk}").order_by("-at")[:500]
        ],
        "access_log": [
            {"at": e.at, "action": e.action, "by": _who(e, user), "object": f"{e.target_type}:{e.target_id}"}
            for e in AuditEntry.objects.filter(Q(actor=user) | targets).order_by("seq")
        ],
    }


def _later_domains(user, record, applications) -> dict:
    """What the apps built on top of collection hold about the person: credits, notices received,
    verification tasks, integrity entries, and what was read off their uploaded materials. Imported
    here, not at the top: those apps import this one."""
    from registry.campaigns.models import CampaignTarget
    from registry.credits.models import CreditDeclaration, CreditRecord
    from registry.integrity.models import IntegrityEntry
    from registry.material_checks.models import MaterialReading
    from registry.notices.models import NoticeRecipient

    deliveries = NoticeRecipient.objects.filter(user=user).select_related("notice").order_by("notice__publish_at")
    tasks = CampaignTarget.objects.filter(user=user).select_related("campaign").order_by("campaign__created_at")
    readings = MaterialReading.objects.filter(attachment__application__in=applications).order_by("created_at")
    return {
        "credits": [
            {
                "year": c.year,
                "subject": c.subject,
                "credits": str(c.credits),
                "hours": None if c.hours is None else str(c.hours),
                "source": c.source,
                "course": c.course,
                "provider": c.provider,
                "completed_on": c.completed_on,
                "status": c.status,
            }
            for c in CreditRecord.objects.filter(record=record).order_by("year", "created_at")
        ]
        if record
        else [],
        "credit_declarations": [
            {
                "id": str(d.pk),
                "year": d.year,
                "kind": d.kind,
                "quantity": str(d.quantity),
                "details": d.details,
                "credits": str(d.credits),
                "subject": d.subject,
                "status": d.status,
                "reasons": d.reasons,
                "comment": d.comment,
                "decided_at": d.decided_at,
                "created_at": d.created_at,
            }
            for d in CreditDeclaration.objects.filter(record=record).order_by("created_at")
        ]
        if record
        else [],
        "notices": [
            {
                "title": n.notice.title,
                "body": n.notice.body,
                "published_at": n.notice.published_at,
                "read_at": n.read_at,
            }
            for n in deliveries
        ],
        "verification_tasks": [
            {
                "campaign": t.campaign.name,
                "deadline": t.campaign.deadline,
                "answer": t.answer,
                "answered_at": t.answered_at,
                "mark": t.mark,
                "marked_at": t.marked_at,
                "cleared_at": t.cleared_at,
            }
            for t in tasks
        ],
        "integrity_entries": [
            {
                "kind": e.kind,
                "summary": e.summary,
                "document_number": e.document_number,
                "starts_on": e.starts_on,
                "ends_on": e.ends_on,
                "ended_on": e.ended_on,
                "end_reason": e.end_reason,
            }
            for e in IntegrityEntry.objects.filter(record=record).order_by("starts_on", "created_at")
        ]
        if record
        else [],
        "material_readings": [
            {
                "attachment": str(r.attachment_id),
                "status": r.status,
                "text": [line.get("text", "") for line in r.lines],
                "finished_at": r.finished_at,
            }
            for r in readings
        ],
    }


def _who(entry: AuditEntry, user) -> str:
    """Yourself, or the role of the staff member (not their name or phone)."""
    if entry.actor_id == user.pk:
        return "本人"
    if entry.actor_id is None:
        return "系统"
    return entry.actor_label.split(" ")[0]
