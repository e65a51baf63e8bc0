"""Reads for the applicant's pages and API (scoping through visible_to)."""

import uuid

from django.db.models import OuterRef, Subquery
from django.http import Http404

from registry.core import compiled, refdata
from registry.records.models import Record, RecordVersion

from .form import normalize_form
from .models import Application, ApplicationEvent, ApplicationRound, Attachment, RoundDecision
from .validation import managing_district, missing_materials


def applications_of(user):
    return Application.objects.visible_to(user).filter(applicant=user).order_by("-created_at")


def _uuid_or_404(value) -> uuid.UUID:
    """A path's id as a UUID; a malformed one is just "not found" (as UUIDField.to_python reads it)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def own_application_or_404(user, application_id) -> Application:
    """The person's own application; 404 for anyone else's (staff open it through the review side).

    Read by id (compiled once: the ORM's building and compiling cost more than the query) and then
    held to its owner: the same rows as `visible_to(user).filter(applicant=user)`, whose owner
    clause is the applicant's own and which admits nothing for an inactive account."""
    from registry.accounts.access import is_active_user, is_own

    pk = _uuid_or_404(application_id)
    if not is_active_user(user):
        raise Http404
    found = compiled.instances("application by id", Application, lambda pk: Application.objects.filter(pk=pk), pk)
    if not found or not is_own(user, found[0].applicant_id):
        raise Http404
    application = found[0]
    application.applicant = user  # it is theirs: no second read of the account (phone, checks)
    return application


def _current_attachments_read(pk) -> tuple:
    return (
        "current attachments with readings",
        Attachment,
        lambda pk: (
            Attachment.objects.filter(application_id=pk).current().order_by("created_at").select_related("reading")
        ),
        pk,
    )


def _events_read(pk) -> tuple:
    return ("events", ApplicationEvent, lambda pk: ApplicationEvent.objects.filter(application_id=pk), pk)


def _latest_decided_round_read(pk) -> tuple:
    return (
        "latest opinion",
        ApplicationRound,
        lambda pk: (
            ApplicationRound.objects.filter(application_id=pk)
            .exclude(decision=RoundDecision.NONE)
            .order_by("-number")
            .only("number", "decision", "reasons", "comment", "decided_at")[:1]
        ),
        pk,
    )


def _of_application(attachments: list[Attachment], application: Application) -> list[Attachment]:
    for attachment in attachments:
        Attachment.application.field.set_cached_value(attachment, application)
    return attachments


def _opinion(found: list[ApplicationRound]) -> dict | None:
    """The last decided round's decision (not its form and materials: they are not shown)."""
    if not found:
        return None
    decided = found[0]
    return {
        "round": decided.number,
        "decision": decided.decision,
        "reasons": decided.reasons,
        "comment": decided.comment,
        "decided_at": decided.decided_at,
    }


def history_of(application: Application, *, with_attachments: bool) -> tuple[list, list, dict | None]:
    """(current materials in upload order with their readings — [] unless asked —, timeline oldest
    first, the last decided round's decision) in one round trip where the database lets
    (core.compiled.instances_together): the applicant's answer and status page read them together."""
    reads = [_events_read(application.pk)]
    if application.round:  # never submitted: no round yet (round_open numbers them from 1), no opinion
        reads.append(_latest_decided_round_read(application.pk))
    if with_attachments:
        reads.append(_current_attachments_read(application.pk))
    found = iter(compiled.instances_together(reads))
    events = next(found)
    opinion = _opinion(next(found)) if application.round else None
    attachments = _of_application(next(found), application) if with_attachments else []
    return attachments, events, opinion


def attachment_for_read(user, attachment_id):
    from registry.accounts.access import get_visible_or_404

    return get_visible_or_404(Attachment.objects.select_related("application"), user, pk=attachment_id)


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


def open_application_of(user) -> Application | None:
    """The person's open application, newest first: `applications_of(user).open().first()`, read
    through a statement compiled once (an active account sees exactly its own applications)."""
    from registry.accounts.access import is_active_user

    from .models import OPEN_STATUSES

    if not is_active_user(user):
        return None
    found = compiled.instances(
        "open application of",
        Application,
        lambda pk: Application.objects.filter(applicant_id=pk, status__in=OPEN_STATUSES).order_by("-created_at")[:1],
        user.pk,
    )
    if not found:
        return None
    found[0].applicant = user
    return found[0]


def record_of(user) -> Record | None:
    """The person's record (`Record.objects.visible_to(user).filter(user=user)`: an active account
    sees exactly its own), compiled once. `imported` (the old system's row, if any) is shown on the
    record page: read in the same query."""
    from registry.accounts.access import is_active_user

    if not is_active_user(user):
        return None
    found = compiled.instances(
        "record of",
        Record,
        lambda pk: Record.objects.filter(user_id=pk).select_related("district", "imported")[:1],
        user.pk,
    )
    if not found:
        return None
    found[0].user = user
    return found[0]


def record_with_current_data_of(user) -> Record | None:
    """`record_of(user)` with its current version's form data as `current_data` (the version
    `latest_version` reads, None without one), in the record's own query: the record page shows both."""
    from registry.accounts.access import is_active_user

    if not is_active_user(user):
        return None

    def build(pk):
        latest = RecordVersion.objects.filter(record=OuterRef("pk")).order_by("-version").values("data")[:1]
        found = Record.objects.filter(user_id=pk).select_related("district", "imported")
        return found.annotate(current_data=Subquery(latest))[:1]

    found = compiled.instances("record with current data of", Record, build, user.pk)
    if not found:
        return None
    found[0].user = user
    return found[0]


def latest_version(record: Record | None):
    """The record's current version (None without a record)."""
    if record is None:
        return None
    found = compiled.instances(
        "latest version",
        RecordVersion,
        lambda pk: RecordVersion.objects.filter(record_id=pk).order_by("-version")[:1],
        record.pk,
    )
    if not found:
        return None
    found[0].record = record
    return found[0]
