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
        "logins": [
            {"at": attempt.at, "ip": attempt.ip, "success": attempt.success}
            for attempt in LoginAttempt.objects.filter(account_key=f"user:{user.pk}").order_by("-at")[:500]
        ],
        "access_log": [
            {"at": e.at, "action": e.action, "by": _who(e, user), "object": f"{e.target_type}:{e.target_id}"}
            for e in AuditEntry.objects.filter(Q(actor=user) | targets).order_by("seq")
        ],
    }


def _who(entry: AuditEntry, user) -> str:
    """Yourself, or the role of the staff member (not their name or phone)."""
    if entry.actor_id == user.pk:
        return "本人"
    if entry.actor_id is None:
        return "系统"
    return entry.actor_label.split(" ")[0]
