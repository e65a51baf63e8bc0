"""Staff phone recovery needs a second staff member; the person is told and can cancel (issue 9, item 8)."""

import re

import pytest

from registry.accounts.models import PhoneRecovery
from registry.audit.models import AuditEntry
from registry.sms.models import SmsMessage
from tests.factories import PASSWORD, UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"  # collected_person, managed by 朝阳 (110105)
OLD, NEW = "13700000001", "13677778888"
BODY = {"id_number": ID_NUMBER, "new_phone": NEW, "identity_check": "本人到场，核验身份证原件"}


@pytest.fixture
def colleague(db):
    """A second reviewer of 朝阳."""
    return UserFactory(reviewer=True, district_codes=["110105"])


def request_recovery(api, reviewer) -> str:
    response = api.post("/api/v1/staff/phone-recovery", BODY, token=api.login(reviewer.phone))
    assert response.status_code == 202, response.content
    return response.json()["id"]


def phone_of(person) -> str:
    person.refresh_from_db()
    return person.phone


def test_one_reviewer_alone_cannot_change_the_phone(api, sms_file, collected_person, chaoyang_reviewer):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    assert phone_of(collected_person) == OLD
    assert collected_person.has_usable_password()
    # The old phone is told at once, with the number the account would move to.
    told = [m for m in sms_file.lines() if m["phone"] == OLD]
    assert len(told) == 1 and "136****8888" in told[0]["text"] and "取消" in told[0]["text"]
    assert SmsMessage.objects.filter(phone=OLD, purpose="phone_recovery").count() == 1
    # The requester cannot approve their own request, on the API or the web.
    body = problem(api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve"), 403, "second_approval_required")
    assert "另一名工作人员" in body["detail"]
    from django.test import Client

    browser = Client()
    browser.force_login(chaoyang_reviewer)
    page = browser.get("/staff/phone-recovery/").content.decode()
    assert "须由另一名工作人员批准" in page and "/approve/" not in page
    response = browser.post(f"/staff/phone-recovery/{recovery_id}/approve/", follow=True)
    assert "不能批准自己的申请" in response.content.decode()
    assert phone_of(collected_person) == OLD
    assert PhoneRecovery.objects.get(pk=recovery_id).status == "pending"


def test_second_staff_member_applies_it(api, sms_file, collected_person, chaoyang_reviewer, colleague):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    person_token = api.login(OLD)
    response = api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve", token=api.login(colleague.phone))
    assert response.status_code == 200 and response.json()["status"] == "applied"
    assert phone_of(collected_person) == NEW and not collected_person.has_usable_password()
    problem(api.get("/api/v1/me", token=person_token), 401, "not_authenticated")  # the lost phone's token ended
    assert {m["phone"] for m in sms_file.lines() if m["purpose"] == "phone_recovery"} == {OLD, NEW}
    request, approval = (
        AuditEntry.objects.get(action="account.phone_recovery_request"),
        AuditEntry.objects.get(action="account.phone_recovery_approve"),
    )
    assert request.actor_id == chaoyang_reviewer.pk and request.target_id == str(collected_person.pk)
    assert approval.actor_id == colleague.pk and approval.district == "110105"
    assert approval.details["requested_by"] == chaoyang_reviewer.pk and approval.details["recovery"] == recovery_id
    # Applied once: a second approval changes nothing.
    problem(api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve"), 409, "recovery_not_pending")


def test_admin_may_be_the_second_approver(api, collected_person, chaoyang_reviewer, municipal_admin):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    assert (
        api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve", token=api.login(municipal_admin.phone)).status_code
        == 200
    )
    assert phone_of(collected_person) == NEW


def test_reviewer_of_another_district_can_neither_see_nor_approve(
    api, collected_person, chaoyang_reviewer, haidian_reviewer
):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    token = api.login(haidian_reviewer.phone)
    assert api.get("/api/v1/phone-recoveries", token=token).json() == []
    problem(api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve", token=token), 404, "not_found")
    problem(api.post(f"/api/v1/phone-recoveries/{recovery_id}/cancel", token=token), 404, "not_found")
    assert phone_of(collected_person) == OLD
    assert PhoneRecovery.objects.get(pk=recovery_id).status == "pending"
    assert not AuditEntry.objects.filter(action="account.phone_recovery_approve").exists()


def test_the_person_sees_it_on_login_and_cancels(client, api, collected_person, chaoyang_reviewer, colleague):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    response = client.post("/login/", {"username": OLD, "password": PASSWORD})
    assert response["Location"] == "/account/"
    page = client.get("/account/").content.decode()
    assert "工作人员已申请更换您的登录手机号" in page and NEW in page
    cancel = re.search(r'action="(/account/phone-recovery/[0-9a-f-]+/cancel/)"', page).group(1)
    assert "已取消" in client.post(cancel, follow=True).content.decode()
    assert PhoneRecovery.objects.get(pk=recovery_id).status == "cancelled"
    entry = AuditEntry.objects.get(action="account.phone_recovery_cancel")
    assert entry.actor_id == collected_person.pk and entry.details["by_person"] is True
    problem(
        api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve", token=api.login(colleague.phone)),
        409,
        "recovery_not_pending",
    )
    assert phone_of(collected_person) == OLD


def test_the_person_cancels_over_the_api_and_others_cannot(api, collected_person, chaoyang_reviewer, applicant):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    problem(
        api.post(f"/api/v1/phone-recoveries/{recovery_id}/cancel", token=api.login(applicant.phone)), 404, "not_found"
    )
    token = api.login(OLD)
    [listed] = api.get("/api/v1/phone-recoveries", token=token).json()
    assert listed["id"] == recovery_id and listed["new_phone"] == NEW
    assert api.post(f"/api/v1/phone-recoveries/{recovery_id}/cancel", token=token).json()["status"] == "cancelled"


def test_staff_can_cancel_and_only_one_request_waits(api, collected_person, chaoyang_reviewer, colleague):
    recovery_id = request_recovery(api, chaoyang_reviewer)
    problem(api.post("/api/v1/staff/phone-recovery", BODY, token=api.login(colleague.phone)), 409, "recovery_pending")
    assert api.post(f"/api/v1/phone-recoveries/{recovery_id}/cancel").json()["status"] == "cancelled"
    assert AuditEntry.objects.get(action="account.phone_recovery_cancel").actor_id == colleague.pk
    request_recovery(api, colleague)  # a new request after the cancellation


def test_an_unapproved_request_expires(api, collected_person, chaoyang_reviewer, colleague):
    from django.utils import timezone

    recovery_id = request_recovery(api, chaoyang_reviewer)
    PhoneRecovery.objects.filter(pk=recovery_id).update(expires_at=timezone.now())
    token = api.login(colleague.phone)
    assert api.get("/api/v1/phone-recoveries", token=token).json() == []
    problem(api.post(f"/api/v1/phone-recoveries/{recovery_id}/approve", token=token), 409, "recovery_expired")
    assert phone_of(collected_person) == OLD and PhoneRecovery.objects.get(pk=recovery_id).status == "expired"
    request_recovery(api, colleague)  # the person can be helped again
