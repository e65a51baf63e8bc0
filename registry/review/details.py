"""Everything the review page shows about one application."""

from registry.applications.form import normalize_form
from registry.applications.models import Application, ApplicationType
from registry.records.models import Record

from .diff import form_diff
from .selectors import is_overdue
from .warnings import review_warnings


def review_details(application: Application) -> dict:
    record = Record.objects.filter(user_id=application.applicant_id).first()
    versions = list(record.versions.order_by("-version")) if record else []
    form = normalize_form(application.form)
    diff = []
    if application.type == ApplicationType.CHANGE and versions:
        diff = form_diff(normalize_form(versions[0].data), form)
    return {
        "form": form,
        "rounds": list(application.rounds.select_related("decided_by").order_by("number")),
        "events": list(application.events.select_related("actor")),
        "attachments": list(application.attachments.current().order_by("kind", "ref", "created_at")),
        "record": record,
        "record_versions": versions,
        "diff": diff,
        "warnings": review_warnings(application),
        "overdue": is_overdue(application),
    }
