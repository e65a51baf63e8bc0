"""Reads for the applicant's pages and API (scoping through visible_to)."""

import datetime as dt
import uuid

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils import timezone

from registry.core import compiled, refdata
from registry.records.models import Record, RecordVersion

from .form import normalize_form
from .models import Application, ApplicationEvent, ApplicationRound, Attachment, ReviewSla, RoundDecision
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
    return _own_application_or_404(user, _uuid_or_404(application_id))[0]


def own_application_with_history_or_404(user, application_id, *, with_attachments: bool = True):
    """(own_application_or_404, its history_of) read together — one round trip on PostgreSQL instead
    of two: the history is read by the id in the path beside the application, and thrown away
    unread when the application is not the caller's."""
    pk = _uuid_or_404(application_id)
    history = _history_reads(pk, with_attachments=with_attachments)
    application, (events, opinion, *attachments) = _own_application_or_404(user, pk, *history)
    if application.round == 0:
        opinion = None  # never submitted (latest_opinion_read): no decided round can exist
    return application, (_of_application(attachments[0], application) if attachments else [], events, opinion)


def _own_application_or_404(user, pk, *more: compiled.Read) -> tuple[Application, list]:
    """The application by id if it is the caller's (else 404), and the answers of `more` reads sent
    with it."""
    from registry.accounts.access import is_active_user, is_own

    if not is_active_user(user):
        raise Http404
    application_read = compiled.Read(
        "application by id", Application, lambda pk: Application.objects.filter(pk=pk), pk, list
    )
    found, *read = compiled.together(application_read, *more)
    if not found or not is_own(user, found[0].applicant_id):
        raise Http404
    application = found[0]
    application.applicant = user  # it is theirs: no second read of the account (phone, checks)
    return application, read


def _of_application(attachments: list[Attachment], application: Application) -> list[Attachment]:
    for attachment in attachments:
        Attachment.application.field.set_cached_value(attachment, application)
    return attachments


def _attachments_read(pk, finish=list) -> compiled.Read:
    return compiled.Read(
        "current attachments with readings",
        Attachment,
        lambda pk: (
            Attachment.objects.filter(application_id=pk).current().order_by("created_at").select_related("reading")
        ),
        pk,
        finish,
    )


def current_attachments_read(application: Application) -> compiled.Read:
    """The current materials in upload order with their readings (for their checks)."""
    return _attachments_read(application.pk, lambda found: _of_application(found, application))


def _events_read(pk) -> compiled.Read:
    return compiled.Read(
        "events", ApplicationEvent, lambda pk: ApplicationEvent.objects.filter(application_id=pk), pk, list
    )


def events_read(application: Application) -> compiled.Read:
    """The application's timeline, oldest first."""
    return _events_read(application.pk)


def _opinion_read(pk) -> compiled.Read:
    return compiled.Read(
        "latest opinion",
        ApplicationRound,
        lambda pk: (
            ApplicationRound.objects.filter(application_id=pk)
            .exclude(decision=RoundDecision.NONE)
            .order_by("-number")
            .only("number", "decision", "reasons", "comment", "decided_at")[:1]
        ),
        pk,
        _opinion,
    )


def latest_opinion_read(application: Application) -> compiled.Read | compiled.Known:
    """The last decided round's decision (not its form and materials: they are not shown)."""
    if application.round == 0:
        return compiled.Known(None)  # never submitted: no round yet (round_open numbers them from 1)
    return _opinion_read(application.pk)


def _history_reads(pk, *, with_attachments: bool) -> list[compiled.Read]:
    """history_of's reads by the application's id: timeline, latest opinion[, current materials]."""
    return [_events_read(pk), _opinion_read(pk), *([_attachments_read(pk)] if with_attachments else [])]


def _opinion(found: list[ApplicationRound]) -> dict | None:
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
    """(current materials with their readings — [] unless asked —, timeline, latest opinion), read
    together (one round trip on PostgreSQL): the applicant's answer and the status page show them."""
    reads = [events_read(application), latest_opinion_read(application)]
    if with_attachments:
        reads.append(current_attachments_read(application))
    events, opinion, *attachments = compiled.together(*reads)
    return (attachments[0] if attachments else []), events, opinion


def record_page_of(user) -> tuple[Record | None, Application | None, list, list]:
    """What the person's record page shows of theirs, read together (one round trip on PostgreSQL):
    the record with its current data, the open application, their transfer codes and the entries
    on their integrity record."""
    from registry.integrity.selectors import entries_of_person_read
    from registry.transfers.selectors import codes_read

    return tuple(
        compiled.together(
            record_with_current_data_read(user),
            open_application_read(user),
            codes_read(user),
            entries_of_person_read(user),
        )
    )


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


def open_application_read(user) -> compiled.Read | compiled.Known:
    """The person's open application, newest first (`applications_of(user).open().first()`: an
    active account sees exactly its own applications), or None."""
    from registry.accounts.access import is_active_user

    from .models import OPEN_STATUSES

    if not is_active_user(user):
        return compiled.Known(None)
    return compiled.Read(
        "open application of",
        Application,
        lambda pk: Application.objects.filter(applicant_id=pk, status__in=OPEN_STATUSES).order_by("-created_at")[:1],
        user.pk,
        lambda found: _owned(found, "applicant", user),
    )


def _owned(found: list, field: str, user):
    """The one row found, its owner set to `user` (no second read of the account), or None."""
    if not found:
        return None
    setattr(found[0], field, user)
    return found[0]


def open_application_of(user) -> Application | None:
    return compiled.read(open_application_read(user))


def record_of(user) -> Record | None:
    """The person's record (`Record.objects.visible_to(user).filter(user=user)`: an active account
    sees exactly its own), compiled once. `imported` (the old system's row, if any) is shown on the
    record page: read in the same query."""
    from registry.accounts.access import is_active_user

    if not is_active_user(user):
        return None
    found = compiled.instances("record of", Record, lambda pk: _person_records(pk)[:1], user.pk)
    return _owned(found, "user", user)


def _person_records(user_id):
    """A person's record with what its pages show beside it: the district, the old system's row."""
    return Record.objects.filter(user_id=user_id).select_related("district", "imported")


def record_with_current_data_read(user) -> compiled.Read | compiled.Known:
    """`record_of(user)` with its current version's form data as `current_data` (the version
    `latest_version` reads, None without one), in the record's own query: the record page shows both."""
    from registry.accounts.access import is_active_user

    if not is_active_user(user):
        return compiled.Known(None)

    def build(pk):
        latest = RecordVersion.objects.filter(record=OuterRef("pk")).order_by("-version").values("data")[:1]
        return _person_records(pk).annotate(current_data=Subquery(latest))[:1]

    return compiled.Read(
        "record with current data of", Record, build, user.pk, lambda found: _owned(found, "user", user)
    )


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
    return _owned(found, "record", record)


def review_sla_days(submitted_on: dt.date | None = None) -> int:
    """The review time limit in working days for an application submitted on that day (today by
    default): the ReviewSla row in force then, else REVIEW_SLA_WORKING_DAYS. The rows are read once
    per copy of the reference data (an edit reloads it, applications/apps.py)."""
    on = submitted_on or timezone.localdate()
    rows = refdata.tables().memo(
        "review_sla",
        lambda: list(ReviewSla.objects.order_by("-effective_from").values_list("effective_from", "working_days")),
    )
    return next((days for since, days in rows if since <= on), settings.REVIEW_SLA_WORKING_DAYS)


def record_form_of(record: Record, user) -> dict:
    """The person's approved data as their record page shows it: the current version, with the
    account's verified phone, which is the record's phone (PRODUCT.md) — a phone changed in 我的账号
    since the version was approved is shown as it is now, not as it was."""
    form = normalize_form(record.current_data)
    form["basic"]["phone"] = user.phone or form["basic"]["phone"]
    return form
