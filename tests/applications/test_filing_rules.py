"""What a filing may carry over: a new change starts without the previous change's event date.
Each rule is shown for one person beside a second person (and district) it must not touch."""

import copy
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from registry.applications import services
from registry.applications.models import Application
from registry.records.models import Record
from registry.records.services import record_apply
from registry.review import services as review_services
from registry.review.warnings import review_warnings
from tests.applications.conftest import VALID_FORM, upload_all_materials, valid_uscc
from tests.factories import UserFactory

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
