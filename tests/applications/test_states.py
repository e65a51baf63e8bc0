import itertools

import pytest
from django.utils import timezone

from registry.applications import services, states
from registry.applications.models import Application, ApplicationRound, ApplicationStatus
from registry.core.errors import Conflict
from tests import files
from tests.applications.conftest import upload

pytestmark = pytest.mark.django_db
ACTIONS = ["submit", "withdraw", "claim", "release", "reassign", "approve", "reject"]
ROLES = [states.APPLICANT, states.REVIEWER, states.ADMIN]
EXPECTED = {
    ("draft", "submit", "applicant"): "submitted",
    ("rejected", "submit", "applicant"): "submitted",
    ("draft", "withdraw", "applicant"): "withdrawn",
    ("submitted", "withdraw", "applicant"): "withdrawn",
    ("rejected", "withdraw", "applicant"): "withdrawn",
    ("submitted", "reassign", "admin"): "in_review",
    ("in_review", "reassign", "admin"): "in_review",
    ("submitted", "claim", "reviewer"): "in_review",
    ("submitted", "claim", "admin"): "in_review",
    ("in_review", "release", "admin"): "submitted",
    ("in_review", "approve", "reviewer"): "approved",
    ("in_review", "approve", "admin"): "approved",
    ("in_review", "reject", "reviewer"): "rejected",
    ("in_review", "reject", "admin"): "rejected",
}


@pytest.mark.parametrize(
    ("status", "action", "role"), list(itertools.product(ApplicationStatus.values, ACTIONS, ROLES))
)
def test_every_transition_allowed_or_refused(person, status, action, role):
    application = Application.objects.create(applicant=person, type="first_collection", status=status)
    expected = EXPECTED.get((status, action, role))
    assert states.allowed(status, action, role) == (expected is not None)
    if expected is None:
        with pytest.raises(Conflict):
            states.move(application, action, role)
        application.refresh_from_db()
        assert application.status == status
    else:
        assert states.move(application, action, role).status == expected


def test_a_stale_copy_cannot_move(person):
    application = Application.objects.create(applicant=person, type="first_collection", status="submitted")
    stale = Application.objects.get(pk=application.pk)
    states.move(application, "claim", states.REVIEWER)
    with pytest.raises(Conflict) as info:
        states.move(stale, "claim", states.REVIEWER)
    assert info.value.code == "already_claimed"


def test_rejected_application_is_edited_and_resubmitted_as_a_new_round(submitted, person, chaoyang_reviewer):
    application = states.move(submitted, "claim", states.REVIEWER)
    application = states.move(application, "reject", states.REVIEWER)
    ApplicationRound.objects.filter(application=application, number=1).update(
        decision="rejected", reasons=["photo_noncompliant"], comment="背景不是白色", decided_at=timezone.now()
    )
    old_photo = application.attachments.current().get(kind="photo")
    upload(application, person, "photo", files.photo_jpeg(seed=9), "new.jpg")
    form = dict(application.form)
    form["basic"] = {**form["basic"], "email": "new@example.com"}
    services.application_save_form(application=application, actor=person, form=form)
    application = services.application_submit(application=Application.objects.get(pk=application.pk), actor=person)
    assert (application.status, application.round) == ("submitted", 2)
    first, second = application.rounds.order_by("number")
    assert first.form["basic"]["email"] == "liming@example.com" and second.form["basic"]["email"] == "new@example.com"
    assert str(old_photo.pk) in {a["id"] for a in first.attachments}
    assert str(old_photo.pk) not in {a["id"] for a in second.attachments}
    assert first.comment == "背景不是白色"
    assert [e.kind for e in application.events.all()] == ["created", "submitted", "resubmitted"]


def test_change_starts_from_the_approved_record(person):
    from registry.records.services import record_apply

    record_apply(
        user=person,
        district_code="110105",
        data={"basic": {"name": "李明", "id_number": "110105199003070033"}},
        source="first_collection",
    )
    with pytest.raises(Conflict):
        services.application_create(applicant=person, type="first_collection")
    change = services.application_create(applicant=person, type="change")
    assert change.form["basic"]["name"] == "李明" and change.form["basic"]["phone"] == person.phone
