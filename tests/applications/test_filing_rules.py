"""What a filing may carry over and when it is refused up front: a new change starts without the
previous change's event date; a change that changes nothing is refused; an ID number collected
under another account is refused at the check page and the submission (not only at the approval).
Each rule is shown for one person beside a second person (and district) it must not touch."""

import copy
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from registry.applications import services
from registry.applications.models import Application, ApplicationRound
from registry.audit.models import AuditEntry
from registry.core.errors import Conflict
from registry.records.models import Record
from registry.records.services import record_apply
from registry.review import services as review_services
from registry.review.warnings import review_warnings
from tests.applications.conftest import VALID_FORM, upload_all_materials, valid_uscc
from tests.factories import UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db

CHAOYANG_ID = "110105199003070033"
HAIDIAN_ID = "11010819850612101X"  # 海淀区, check digit X


def _form(user, *, district: str, id_number: str, name: str) -> dict:
    from registry.core.validators import validate_resident_id

    resident = validate_resident_id(id_number)
    form = copy.deepcopy(VALID_FORM)
    form["employment"].update(unit_uscc=valid_uscc(), unit_district=district)
    form["basic"].update(
        phone=user.phone,
        name=name,
        id_number=id_number,
        birth_date=resident.birth_date.isoformat(),
        gender=resident.gender,
    )
    return form


def collected(*, district: str, id_number: str, name: str):
    """A person with an approved record managed by `district` (as an approval writes it)."""
    user = UserFactory(password=None)
    data = _form(user, district=district, id_number=id_number, name=name)
    record_apply(user=user, district_code=district, data=data, source="first_collection")
    user.refresh_from_db()
    return user


def approve(application, district: str):
    reviewer = UserFactory(reviewer=True, district_codes=[district], password=None)
    application = review_services.review_claim(application=application, actor=reviewer)
    return review_services.review_decide(application=application, actor=reviewer, decision="approve")


def change_filed(user, **edits) -> Application:
    """A change draft of `user` with `edits` ({"section.field": value}) saved and materials uploaded."""
    application = services.application_create(applicant=user, type="change")
    form = copy.deepcopy(application.form)
    for path, value in edits.items():
        section, field = path.split(".")
        form[section][field] = value
    application = services.application_save_form(application=application, actor=user, form=form)
    upload_all_materials(application, user)
    return application


def web_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- 1. A new change starts without the previous change's event date -------------------------


def test_a_new_change_does_not_carry_the_event_date_of_the_change_approved_before():
    old_event = (timezone.localdate() - dt.timedelta(days=200)).isoformat()  # late if it were filed today
    first = collected(district="110105", id_number=CHAOYANG_ID, name="李明")
    second = collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    change = change_filed(first, **{"employment.department": "审计部", "other.change_event_date": old_event})
    approve(services.application_submit(application=change, actor=first), "110105")
    record = Record.objects.get(user=first)
    assert record.versions.order_by("-version").first().data["other"]["change_event_date"] == old_event  # history kept

    again = services.application_create(applicant=first, type="change")
    assert again.form["other"]["change_event_date"] == ""
    assert again.form["employment"]["department"] == "审计部"  # the rest of the record is carried over
    page = web_client(first).get(f"/apply/{again.pk}/review/").content.decode()
    assert 'data-testid="late-change"' not in page and "已超过3个月" not in page
    assert 'data-field="other.change_event_date" data-code="required"' in page  # asked again, for this change

    today = timezone.localdate().isoformat()
    form = {**again.form, "other": {**again.form["other"], "change_event_date": today}}
    form["employment"] = {**form["employment"], "department": "财务管理部"}
    services.application_save_form(application=again, actor=first, form=form)
    submitted = services.application_submit(application=again, actor=first)
    assert [w["code"] for w in review_warnings(submitted) if w["code"] == "late_change"] == []

    # The other person, in another district, starts a change of their own record: nothing of the first's.
    theirs = services.application_create(applicant=second, type="change")
    assert theirs.form["other"]["change_event_date"] == ""
    assert theirs.form["basic"]["id_number"] == HAIDIAN_ID and theirs.form["employment"]["department"] == "财务部"


# --- 2. A change that changes nothing is refused ----------------------------------------------


def test_a_change_equal_to_the_record_is_refused_and_nothing_moves():
    first = collected(district="110105", id_number=CHAOYANG_ID, name="李明")
    second = collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    today = timezone.localdate().isoformat()
    unchanged = change_filed(first, **{"other.change_event_date": today})  # the event date alone is no change
    other = change_filed(second, **{"other.change_event_date": today, "employment.department": "审计部"})
    before = AuditEntry.objects.filter(action="application.submit").count()

    with pytest.raises(services.FormProblems) as refused:
        services.application_submit(application=unchanged, actor=first)
    (no_change,) = [p for p in refused.value.problems if p.code == "no_change"]
    assert no_change.field == "" and "没有任何修改" in no_change.message
    assert [p.code for p in refused.value.problems] == ["no_change"]  # the form itself is valid
    stored = Application.objects.get(pk=unchanged.pk)
    assert (stored.status, stored.round, stored.submitted_at) == ("draft", 0, None)
    assert not ApplicationRound.objects.filter(application=unchanged).exists()
    assert AuditEntry.objects.filter(action="application.submit").count() == before

    # Beside it, the other person's change (another district) changes something and goes to 海淀区.
    submitted = services.application_submit(application=other, actor=second)
    assert (submitted.status, submitted.district_id) == ("submitted", "110108")

    # One changed field is enough: the same draft, with the unit's department changed, is accepted.
    form = copy.deepcopy(unchanged.form)
    form["employment"]["department"] = "审计部"
    services.application_save_form(application=unchanged, actor=first, form=form)
    assert services.application_submit(application=unchanged, actor=first).status == "submitted"


def test_an_unchanged_change_with_a_new_account_phone_is_a_change():
    """The record's contact phone is record data: after the account's phone changed (我的账号), a
    change that only brings the record's phone up to date is a change."""
    person = collected(district="110105", id_number=CHAOYANG_ID, name="李明")
    type(person).objects.filter(pk=person.pk).update(phone="13911112222")
    person.refresh_from_db()
    application = change_filed(person, **{"other.change_event_date": timezone.localdate().isoformat()})
    assert services.application_submit(application=application, actor=person).status == "submitted"


def test_an_unchanged_change_is_refused_over_the_api_and_the_web(api):
    first = collected(district="110105", id_number=CHAOYANG_ID, name="李明")
    collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    application = change_filed(first, **{"other.change_event_date": timezone.localdate().isoformat()})
    from registry.accounts import auth

    api.token, _ = auth.token_issue(user=first)
    body = problem(api.post(f"/api/v1/me/applications/{application.pk}/submit"), 400, "invalid_form")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("", "no_change")]
    assert "没有任何修改" in body["errors"][0]["message"]

    client = web_client(first)
    response = client.post(f"/apply/{application.pk}/submit/")
    assert response.status_code == 302 and response["Location"].endswith(f"/apply/{application.pk}/review/")
    page = client.get(f"/apply/{application.pk}/review/").content.decode()
    assert 'data-code="no_change"' in page and "没有任何修改" in page
    assert "确认无误，提交审核</button>" in page and "disabled>确认无误" in page
    assert Application.objects.get(pk=application.pk).status == "draft"


# --- 4. An ID number collected under another account ----------------------------------------


def _first_collection(user, *, id_number: str, district: str = "110105", name: str = "赵雷") -> Application:
    application = services.application_create(applicant=user, type="first_collection")
    form = _form(user, district=district, id_number=id_number, name=name)
    application = services.application_save_form(application=application, actor=user, form=form)
    upload_all_materials(application, user)
    return application


def _taken(problems) -> list:
    return [p for p in problems if p.code == "id_number_taken"]


@pytest.mark.parametrize("typed", [HAIDIAN_ID, HAIDIAN_ID.lower()])
def test_a_first_collection_with_an_id_number_collected_under_another_account_is_refused(typed):
    holder = collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    newcomer = UserFactory(password=None)  # 王芳 again, with a second account
    application = _first_collection(newcomer, id_number=typed, name="王 芳")

    with pytest.raises(services.FormProblems) as refused:
        services.application_submit(application=application, actor=newcomer)
    (taken,) = _taken(refused.value.problems)
    assert taken.field == "basic.id_number" and "认领原有信息" in taken.message and "区财政局" in taken.message
    assert holder.phone not in taken.message and "海淀" not in taken.message
    stored = Application.objects.get(pk=application.pk)
    assert (stored.status, stored.round) == ("draft", 0)
    assert Record.objects.get(id_number=HAIDIAN_ID).user_id == holder.pk

    # A second newcomer with their own ID number, beside: submitted as usual.
    beside = UserFactory(password=None)
    theirs = services.application_submit(application=_first_collection(beside, id_number=CHAOYANG_ID), actor=beside)
    assert theirs.status == "submitted"


def test_an_unclaimed_imported_record_points_to_the_claim():
    Record.objects.create(user=None, district_id="110108", name="王芳", id_number=HAIDIAN_ID)
    newcomer = UserFactory(password=None)
    application = _first_collection(newcomer, id_number=HAIDIAN_ID, name="王芳")
    (taken,) = _taken(services.problems_for(application))
    assert "认领原有信息" in taken.message
    with pytest.raises(services.FormProblems):
        services.application_submit(application=application, actor=newcomer)


def test_the_own_record_is_no_collision():
    """A change keeps the person's own ID number: their own record and account are not "another"."""
    person = collected(district="110105", id_number=CHAOYANG_ID, name="李明")
    collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    application = change_filed(
        person, **{"other.change_event_date": timezone.localdate().isoformat(), "employment.department": "审计部"}
    )
    assert _taken(services.problems_for(application)) == []
    # Changing it to the other person's number is refused the same way.
    form = copy.deepcopy(application.form)
    form["basic"].update(id_number=HAIDIAN_ID, name="王芳", birth_date="1985-06-12", gender="M")
    services.application_save_form(application=application, actor=person, form=form)
    assert [p.field for p in _taken(services.problems_for(application))] == ["basic.id_number"]


def test_the_taken_id_number_is_told_on_the_check_page_and_by_the_api(api):
    holder = collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    newcomer = UserFactory(password=None)
    application = _first_collection(newcomer, id_number=HAIDIAN_ID, name="王芳")

    page = web_client(newcomer).get(f"/apply/{application.pk}/review/").content.decode()
    assert 'data-field="basic.id_number" data-code="id_number_taken"' in page and "认领原有信息" in page
    assert "disabled>确认无误" in page
    assert holder.phone not in page and "海淀" not in page

    from registry.accounts import auth

    api.token, _ = auth.token_issue(user=newcomer)
    body = problem(api.post(f"/api/v1/me/applications/{application.pk}/submit"), 400, "invalid_form")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("basic.id_number", "id_number_taken")]
    assert holder.phone not in str(body) and "王芳" not in str(body)
    assert Application.objects.get(pk=application.pk).status == "draft"


def test_someone_elses_id_number_under_another_name_is_not_told_before_the_approval(chaoyang_reviewer):
    """The check page and the submission must not tell anyone with an account whether an arbitrary ID
    number is in the registry: only the name it is collected under hears that it is taken (as the
    verification answers). Another name goes to the reviewer, whose approval refuses it."""
    collected(district="110108", id_number=HAIDIAN_ID, name="王芳")
    prober = UserFactory(password=None)
    application = _first_collection(prober, id_number=HAIDIAN_ID, name="赵雷", district="110105")
    assert _taken(services.problems_for(application)) == []
    submitted = services.application_submit(application=application, actor=prober)
    assert submitted.status == "submitted"
    claimed = review_services.review_claim(application=submitted, actor=chaoyang_reviewer)
    with pytest.raises(Conflict) as refused:
        review_services.review_decide(actor=chaoyang_reviewer, application=claimed, decision="approve")
    assert refused.value.code == "id_number_taken"
    assert Record.objects.get(id_number=HAIDIAN_ID).name == "王芳"
