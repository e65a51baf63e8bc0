"""Everything the review page shows about one application."""

from registry.applications.form import normalize_form
from registry.applications.labels import FormLabels, version_source_label
from registry.applications.models import Application, ApplicationType
from registry.records.models import Record

from .diff import form_diff
from .selectors import is_overdue
from .warnings import review_warnings


def review_details(application: Application) -> dict:
    record = Record.objects.filter(user_id=application.applicant_id).first()
    versions = list(record.versions.select_related("district").order_by("-version")) if record else []
    # Staff see what was submitted (the latest round), never the applicant's edits in progress after
    # a rejection — those may be meant for another district.
    latest = application.rounds.order_by("-number").first()
    form = normalize_form(latest.form if latest else application.form)
    if latest is not None:
        submitted_ids = [a["id"] for a in latest.attachments]
        attachments = list(application.attachments.filter(pk__in=submitted_ids).order_by("kind", "ref", "created_at"))
    else:
        attachments = list(application.attachments.current().order_by("kind", "ref", "created_at"))
    labels = FormLabels(form)
    diff = []
    if application.type == ApplicationType.CHANGE and versions:
        diff = form_diff(normalize_form(versions[0].data), form, labels=labels)
    return {
        "form": form,
        "rounds": list(application.rounds.select_related("decided_by").order_by("number")),
        "events": list(application.events.select_related("actor")),
        "attachments": attachments,
        "record": record,
        "record_versions": [
            {
                "version": v.version,
                "district": v.district_id,
                "district_name": v.district.name,
                "source": v.source,
                "source_label": version_source_label(v.source),
                "created_at": v.created_at,
            }
            for v in versions
        ],
        "labels": labels,
        "diff": diff,
        "warnings": review_warnings(application),
        "overdue": is_overdue(application),
    }
