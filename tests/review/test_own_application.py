"""Staff may apply (they are accountants too), but never act on their own case (decisions/0006)."""

import pytest

from registry.accounts.models import Role
from registry.applications.models import Application
from registry.audit.models import AuditEntry
from registry.records.models import Record
from tests.factories import UserFactory
from tests.helpers import problem
from tests.review.conftest import make_submitted
from tests.transfers.conftest import HEBEI, hebei_person, hebei_reviewer  # noqa: F401, F811

pytestmark = pytest.mark.django_db


def make_staff(user, role=Role.REVIEWER, districts=("110105",)):
    """An applicant's account that is also a staff account (a reviewer who applies)."""
    user.role = role
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
    user.districts.set(districts if role == Role.REVIEWER else [])
    return user


@pytest.fixture
def own_app(db):
    """A reviewer of 朝阳 applied; their application is managed by 朝阳."""
    application = make_submitted()
    make_staff(application.applicant)
    return application


def test_reviewer_cannot_claim_or_decide_own_application_over_the_api(api, own_app, chaoyang_reviewer):
    base = f"/api/v1/review/applications/{own_app.pk}"
    api.login(own_app.applicant.phone)
    assert api.get(base).status_code == 200  # they may read it: it is their own data
    body = problem(api.post(f"{base}/claim"), 403, "own_application")
    assert "不能办理本人的申请" in str(body)
    # Claimed by a colleague, the applicant-reviewer still cannot decide (not even reject).
    api.login(chaoyang_reviewer.phone)
    assert api.post(f"{base}/claim").json() == {"status": "in_review"}
    api.login(own_app.applicant.phone)
    problem(api.post(f"{base}/decision", {"decision": "approve"}), 403, "own_application")
    application = Application.objects.get(pk=own_app.pk)
    assert application.status == "in_review" and application.claimed_by_id == chaoyang_reviewer.pk
    assert not Record.objects.filter(user=own_app.applicant).exists()
    assert not AuditEntry.objects.filter(action__in=["review.approve", "review.claim"], actor=own_app.applicant)
    # The colleague decides.
    api.login(chaoyang_reviewer.phone)
    assert api.post(f"{base}/decision", {"decision": "approve"}).json() == {"status": "approved"}


def test_admin_cannot_act_on_own_application_nor_reassign_to_the_applicant(api, municipal_admin, chaoyang_reviewer):
    application = make_submitted()
    admin = make_staff(application.applicant, role=Role.ADMIN)
    base = f"/api/v1/review/applications/{application.pk}"
    api.login(admin.phone)
    problem(api.post(f"{base}/claim"), 403, "own_application")
    api.login(chaoyang_reviewer.phone)
    api.post(f"{base}/claim")
    api.login(admin.phone)
    problem(api.post(f"{base}/decision", {"decision": "approve"}), 403, "own_application")
    problem(api.post(f"{base}/reassign", {"reviewer_id": str(chaoyang_reviewer.pk)}), 403, "own_application")
    assert Application.objects.get(pk=application.pk).status == "in_review"


def test_admin_cannot_reassign_an_application_to_its_applicant(api, own_app, chaoyang_reviewer, municipal_admin):
    base = f"/api/v1/review/applications/{own_app.pk}"
    api.login(chaoyang_reviewer.phone)
    api.post(f"{base}/claim")
    api.login(municipal_admin.phone)
    problem(api.post(f"{base}/reassign", {"reviewer_id": str(own_app.applicant_id)}), 403, "own_application")
    assert Application.objects.get(pk=own_app.pk).claimed_by_id == chaoyang_reviewer.pk


def test_web_refuses_claim_and_decision_on_own_application(client, own_app, chaoyang_reviewer):
    client.force_login(own_app.applicant)
    page = client.get(f"/staff/review/{own_app.pk}/")
    assert page.status_code == 200
    assert "这是您本人的申请" in page.content.decode() and "受理</button>" not in page.content.decode()
    response = client.post(f"/staff/review/{own_app.pk}/claim/", follow=True)
    assert "不能办理本人的申请" in response.content.decode()
    assert Application.objects.get(pk=own_app.pk).status == "submitted"
    other = UserFactory(reviewer=True, district_codes=["110105"])
    client.force_login(other)
    client.post(f"/staff/review/{own_app.pk}/claim/")
    client.force_login(own_app.applicant)
    response = client.post(f"/staff/review/{own_app.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "不能办理本人的申请" in response.content.decode()
    assert Application.objects.get(pk=own_app.pk).status == "in_review"


def test_reviewer_cannot_revoke_own_transfer_code(api, hebei_person, hebei_reviewer):  # noqa: F811
    from tests.transfers.test_transfers import issued_code

    code = issued_code(hebei_person, hebei_reviewer)
    make_staff(hebei_person, districts=[HEBEI])
    api.login(hebei_person.phone)
    problem(api.post(f"/api/v1/review/transfer-codes/{code}/revoke"), 403, "own_application")
    assert Record.objects.get(user=hebei_person).status == "transferring_out"
    api.login(hebei_reviewer.phone)
    assert api.post(f"/api/v1/review/transfer-codes/{code}/revoke").json() == {"status": "revoked"}
