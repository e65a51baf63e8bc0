"""Reads for the applicant's pages and API (scoping through visible_to)."""

from registry.core import refdata
from registry.records.models import Record

from .form import normalize_form
from .models import Application, ApplicationRound, Attachment, RoundDecision
from .validation import managing_district, missing_materials


def applications_of(user):
    return Application.objects.visible_to(user).filter(applicant=user).order_by("-created_at")


def own_application_or_404(user, application_id) -> Application:
    """The person's own application; 404 for anyone else's (staff open it through the review side)."""
    from registry.accounts.access import get_visible_or_404

    application = get_visible_or_404(Application.objects.filter(applicant=user), user, pk=application_id)
    application.applicant = user  # it is theirs: no second read of the account (phone, checks)
    return application


def attachment_for_read(user, attachment_id):
    from registry.accounts.access import get_visible_or_404

    return get_visible_or_404(Attachment.objects.select_related("application"), user, pk=attachment_id)


def latest_opinion(application: Application) -> dict | None:
    decided = application.rounds.exclude(decision=RoundDecision.NONE).order_by("-number").first()
    if decided is None:
        return None
    return {
        "round": decided.number,
        "decision": decided.decision,
        "reasons": decided.reasons,
        "comment": decided.comment,
        "decided_at": decided.decided_at,
    }


def district_contact(code: str | None) -> dict | None:
    region = refdata.region(code)
    if region is None:
        return None
    return {
        "code": region.code,
        "name": region.name,
        "bureau_name": region.bureau_name,
        "phone": region.contact_phone,
        "address": region.contact_address,
    }


def derived_district(application: Application) -> str:
    return application.district_id or managing_district(normalize_form(application.form))


def missing_for(application: Application, current: list[Attachment] | None = None) -> list[dict]:
    """Materials still to upload; `current`: the application's current attachments when already read."""
    if current is None:
        current = list(application.attachments.current())
    attachments = [{"kind": a.kind, "ref": a.ref} for a in current]
    return [
        {"kind": kind, "ref": ref, "label": label}
        for kind, ref, label in missing_materials(normalize_form(application.form), attachments)
    ]


def rounds_of(application: Application) -> list[ApplicationRound]:
    return list(application.rounds.order_by("number"))


def record_of(user) -> Record | None:
    # `imported` (the old system's row, if any) is shown on the record page: read in the same query.
    return Record.objects.visible_to(user).filter(user=user).select_related("district", "imported").first()


def latest_version(record: Record | None):
    """The record's current version (None without a record)."""
    return record.versions.order_by("-version").first() if record is not None else None
