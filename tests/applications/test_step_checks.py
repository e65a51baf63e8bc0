""" "保存，下一步" shows the step's mistakes at once (the next step one click away), birth date and
gender come from the ID number, and a change asks its event date first and explains a late change."""

import datetime as dt

import pytest

from registry.applications import services
from registry.applications.form import fill_from_id_number, matches_id_number, normalize_form
from registry.applications.models import Application
from registry.applications.validation import change_deadline, late_change
from tests.applications.conftest import ID_NUMBER
from tests.applications.test_web_pages import basic_post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OTHER_ID = "11010519491231002X"  # female, born 1949-12-31


@pytest.fixture
def person_client(client, person):
    client.force_login(person)
    return client


def _collected():
    """An applicant whose first collection was approved (a change can start)."""
    from registry.review import services as review
    from tests.review.conftest import make_submitted

    submitted = make_submitted()
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    review.review_claim(application=submitted, actor=reviewer)
    review.review_decide(application=Application.objects.get(pk=submitted.pk), actor=reviewer, decision="approve")
    return submitted.applicant


def _post(person, **overrides):
    return basic_post(**{"basic.phone": person.phone, **overrides})


def test_save_and_next_with_a_bad_id_checksum_stays_and_shows_it(person_client, person, code_tables):
    application = Application.objects.create(applicant=person, type="first_collection")
    url = f"/apply/{application.pk}/basic/"
    response = person_client.post(url, _post(person, **{"basic.id_number": "110105199003070034"}))
    assert response.status_code == 302 and response["Location"] == url + "?checked=1"
    application.refresh_from_db()
    assert application.form["basic"]["id_number"] == "110105199003070034"  # saved all the same
    page = person_client.get(response["Location"]).content.decode()
    assert 'data-testid="step-problems"' in page and "校验位不正确" in page
    assert 'href="#f-basic-id_number"' in page
    assert f'href="/apply/{application.pk}/education/"' in page and "先跳过，下一步：学历" in page


def test_save_and_next_with_a_bad_email_and_mismatched_birth_date(person_client, person, code_tables):
    application = Application.objects.create(applicant=person, type="first_collection")
    url = f"/apply/{application.pk}/basic/"
    post = _post(person, **{"basic.email": "liming@example", "basic.birth_date": "1990-03-08"})
    response = person_client.post(url, post)
    page = person_client.get(response["Location"]).content.decode()
    assert "电子邮箱格式不正确" in page
    assert "出生日期与身份证号码不一致" in page
    # the mismatched date stays editable beside its warning (not shown as taken from the ID)
    assert 'name="basic.birth_date" value="1990-03-08"' in page.replace('type="date" ', "")


def test_save_and_next_with_a_clean_step_goes_on(person_client, person, code_tables):
    application = Application.objects.create(applicant=person, type="first_collection")
    response = person_client.post(f"/apply/{application.pk}/basic/", _post(person))
    assert response["Location"] == f"/apply/{application.pk}/education/"


def test_unfinished_fields_do_not_stop_the_next_step(person_client, person, code_tables):
    """Only mistakes in what was typed stop "保存，下一步"; empty fields are for the review page."""
    application = Application.objects.create(applicant=person, type="first_collection")
    response = person_client.post(
        f"/apply/{application.pk}/basic/", _post(person, **{"basic.residence_address": "", "basic.ethnicity": ""})
    )
    assert response["Location"] == f"/apply/{application.pk}/education/"


def test_birth_date_and_gender_filled_from_the_id_number(person_client, person, code_tables):
    application = Application.objects.create(applicant=person, type="first_collection")
    url = f"/apply/{application.pk}/basic/"
    person_client.post(url, _post(person, **{"basic.birth_date": "", "basic.gender": ""}))
    application.refresh_from_db()
    assert (application.form["basic"]["birth_date"], application.form["basic"]["gender"]) == ("1990-03-07", "M")
    page = person_client.get(url).content.decode()
    assert page.count("由身份证自动带出") == 2 and 'value="男" readonly' in page
    # a new number moves both along
    person_client.post(url, _post(person, **{"basic.id_number": OTHER_ID}))
    application.refresh_from_db()
    assert (application.form["basic"]["birth_date"], application.form["basic"]["gender"]) == ("1949-12-31", "F")


def test_fill_from_id_number_keeps_what_was_typed_otherwise():
    form = normalize_form({"basic": {"id_number": ID_NUMBER, "birth_date": "1990-03-08", "gender": ""}})
    form = fill_from_id_number(form, before=None)
    assert (form["basic"]["birth_date"], form["basic"]["gender"]) == ("1990-03-08", "M")
    assert matches_id_number(form["basic"]) == {"birth_date": False, "gender": True}
    passport = normalize_form({"basic": {"id_type": "passport", "id_number": "E12345678"}})
    assert fill_from_id_number(passport)["basic"]["birth_date"] == "" and matches_id_number(passport["basic"]) == {}
    bad = normalize_form({"basic": {"id_number": "110105199003070034"}})
    assert fill_from_id_number(bad)["basic"]["birth_date"] == ""


@pytest.mark.parametrize(
    ("event", "deadline"),
    [
        ("2026-01-15", "2026-04-15"),
        ("2026-05-31", "2026-08-31"),
        ("2025-11-30", "2026-02-28"),
        ("2026-10-31", "2027-01-31"),
    ],
)
def test_change_deadline_is_three_calendar_months(event, deadline):
    assert change_deadline(dt.date.fromisoformat(event)) == dt.date.fromisoformat(deadline)


def test_late_change_only_after_the_deadline():
    form = {"other": {"change_event_date": "2026-05-31"}}
    assert late_change(form, on=dt.date(2026, 8, 31)) is None
    assert late_change(form, on=dt.date(2026, 9, 1)) == (dt.date(2026, 5, 31), dt.date(2026, 8, 31))
    assert late_change({"other": {"change_event_date": "not a date"}}, on=dt.date(2026, 9, 1)) is None


def test_a_change_asks_the_event_date_first_and_explains_a_late_one(person_client, person, code_tables):
    applicant = _collected()
    change = services.application_create(applicant=applicant, type="change")
    person_client.force_login(applicant)
    page = person_client.get(f"/apply/{change.pk}/basic/").content.decode()
    assert page.index("变更事项发生日期") < page.index("登记类别")  # asked first
    assert 'data-testid="late-change"' not in page
    employment = person_client.get(f"/apply/{change.pk}/employment/").content.decode()
    assert "变更事项发生日期" not in employment
    form = normalize_form(change.form)
    form["other"]["change_event_date"] = (dt.date.today() - dt.timedelta(days=200)).isoformat()
    services.application_save_form(application=change, actor=applicant, form=form)
    page = person_client.get(f"/apply/{change.pk}/basic/").content.decode()
    assert 'data-testid="late-change"' in page and "仍可以提交" in page
    assert 'data-testid="late-change"' in person_client.get(f"/apply/{change.pk}/review/").content.decode()
    # first collections never ask it
    other = Application.objects.create(applicant=person, type="first_collection")
    person_client.force_login(person)
    assert "变更事项发生日期" not in person_client.get(f"/apply/{other.pk}/basic/").content.decode()
