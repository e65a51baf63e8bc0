"""Starting a transfer in: it starts without the event date of a change filed before (that date
belongs to that filing, not to the person)."""

import copy

import pytest

from registry.applications import services
from registry.applications.models import Application
from registry.records.services import record_apply
from tests.applications.conftest import VALID_FORM, valid_uscc
from tests.factories import UserFactory
from tests.transfers.conftest import HEBEI

pytestmark = pytest.mark.django_db


def test_a_transfer_in_starts_without_the_event_date_of_an_earlier_change(hebei_person):
    """河北 → 北京 with a code, from a record whose last version came from a change."""
    from registry.review import services as review_services
    from registry.transfers.models import TransferCode

    data = copy.deepcopy(VALID_FORM)
    data["basic"].update(phone=hebei_person.phone, hukou_region=HEBEI, residence_district="")
    data["employment"].update(unit_uscc=valid_uscc(), unit_district=HEBEI, department="审计部")
    data["other"]["change_event_date"] = "2025-01-15"
    record_apply(user=hebei_person, district_code=HEBEI, data=data, source="change")
    reviewer = UserFactory(reviewer=True, district_codes=[HEBEI], password=None)
    out = services.transfer_out_request(applicant=hebei_person, destination_region="110000")
    review_services.review_claim(application=out, actor=reviewer)
    review_services.review_decide(application=Application.objects.get(pk=out.pk), actor=reviewer, decision="approve")
    code = TransferCode.objects.get(person=hebei_person).code
    application = services.application_create(applicant=hebei_person, type="transfer_in", transfer_code=code)
    assert application.form["other"]["change_event_date"] == ""
    assert application.form["employment"]["department"] == "审计部"
