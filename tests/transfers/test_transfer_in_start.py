"""Starting a transfer in: from a system without codes the origin is another province than this
deployment's own (REGISTRY_JURISDICTION), on the web, over the API and in the service alike; and a
transfer in starts without the event date of a change filed before (it belongs to that filing)."""

import copy

import pytest
from django.test import Client

from registry.applications import services
from registry.applications.models import Application
from registry.core.errors import ServiceError
from registry.records.services import record_apply
from tests.applications.conftest import VALID_FORM, valid_uscc
from tests.factories import TransferCodeFactory, UserFactory
from tests.helpers import problem
from tests.transfers.conftest import HEBEI

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(db):
    return UserFactory(password=None)


@pytest.fixture
def leaving(db):
    """Someone collected here (朝阳区) whose approved transfer out made the record 调出中."""
    return TransferCodeFactory().person


def _origin_options(page: str) -> list[str]:
    select = page.split('<select id="origin_region" name="origin_region">', 1)[1].split("</select>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in select.split('<option value="')[2:]]  # after "请选择"


@pytest.mark.parametrize("who", ["newcomer", "leaving"])
def test_the_home_province_is_not_offered_as_the_origin(request, who):
    person = request.getfixturevalue(who)
    client = Client()
    client.force_login(person)
    page = client.get("/apply/").content.decode()
    options = _origin_options(page)
    assert "110000" not in options
    assert {"130000", "120000", "440000"} <= set(options) and len(options) >= 30


@pytest.mark.parametrize("who", ["newcomer", "leaving"])
def test_a_transfer_in_from_the_home_province_is_refused_in_the_service(request, who):
    person = request.getfixturevalue(who)
    with pytest.raises(ServiceError) as refused:
        services.application_create(
            applicant=person, type="transfer_in", origin_region="110000", origin_reference="BJ-2026-1"
        )
    assert (refused.value.code, refused.value.field, refused.value.status) == ("same_province", "origin_region", 400)
    assert "北京市" in refused.value.message and "信息变更" in refused.value.message
    assert not Application.objects.filter(applicant=person).exclude(type="transfer_out").exists()


@pytest.mark.parametrize("origin", ["110105", "999999", "130100"])
def test_an_origin_that_is_no_province_is_refused(newcomer, origin):
    with pytest.raises(ServiceError) as refused:
        services.application_create(applicant=newcomer, type="transfer_in", origin_region=origin, origin_reference="X1")
    assert (refused.value.code, refused.value.field) == ("unknown_code", "origin_region")
    assert not Application.objects.filter(applicant=newcomer).exists()


def test_another_province_is_accepted_beside(newcomer, leaving):
    mine = services.application_create(
        applicant=newcomer, type="transfer_in", origin_region="130000", origin_reference="HB-2026-1"
    )
    theirs = services.application_create(
        applicant=leaving, type="transfer_in", origin_region="440000", origin_reference="GD-2026-1"
    )
    assert (mine.origin_region, theirs.origin_region) == ("130000", "440000")


def test_the_api_and_the_web_refuse_it_too(api, newcomer, leaving):
    from registry.accounts import auth

    api.token, _ = auth.token_issue(user=newcomer)
    body = problem(
        api.post(
            "/api/v1/me/applications",
            {"type": "transfer_in", "origin_region": "110000", "origin_reference": "BJ-2026-1"},
        ),
        400,
        "same_province",
    )
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("origin_region", "same_province")]
    assert not Application.objects.filter(applicant=newcomer).exists()

    client = Client()
    client.force_login(leaving)
    response = client.post(
        "/apply/", {"type": "transfer_in", "origin_region": "110000", "origin_reference": "BJ-2026-1"}
    )
    assert response.status_code == 200 and "调出省份不能是北京市本身" in response.content.decode()
    assert not Application.objects.filter(applicant=leaving, type="transfer_in").exists()

    # The same page and API accept another province, beside.
    created = api.post(
        "/api/v1/me/applications", {"type": "transfer_in", "origin_region": "130000", "origin_reference": "HB-1"}
    )
    assert created.status_code == 201 and created.json()["type"] == "transfer_in"


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
