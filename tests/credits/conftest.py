"""Collected people (approved records) with a qualification or an accounting start date, built
through records.record_apply as review approval does."""

import random

import pytest

from registry.accounts.services import api_client_create
from registry.core import generators
from registry.credits.services import obligations_refresh
from registry.records.services import record_apply
from tests.factories import UserFactory

_rng = random.Random(1212)


def collect(
    *, name="张三", district="110105", qualified_on="2019-05-20", accounting_since="", practicing=(), user=None
):
    user = user or UserFactory()
    data = {
        "basic": {"name": name, "id_number": generators.resident_id(_rng)},
        "qualifications": [{"series": "accounting", "level": "junior", "obtained_on": qualified_on}]
        if qualified_on
        else [],
        "employment": {"accounting_since": accounting_since, "doing_accounting": bool(accounting_since)},
        "practicing": [{"kind": kind, "certificate_number": f"{kind}-1"} for kind in practicing],
    }
    record = record_apply(user=user, district_code=district, data=data, source="test")
    obligations_refresh(record_ids=[record.pk])
    return record


@pytest.fixture
def person(db):
    """A CPA (institute hours convert for them); other_person is not."""
    return collect(name="张三", district="110105", practicing=("cpa",))


@pytest.fixture
def person_api(api, person):
    api.login(person.user.phone)
    return api


@pytest.fixture
def other_person(db):
    return collect(name="李四", district="110108")


@pytest.fixture
def provider(db):
    return api_client_create(name="北京会计培训中心", scope="provider")


def row(record, external_id, *, year=2025, credits="30", subject="professional", **extra):
    return {
        "external_id": external_id,
        "id_number": record.id_number,
        "name": record.name,
        "year": year,
        "course": "企业会计准则解读",
        "subject": subject,
        "credits": credits,
        "completed_on": f"{year}-06-01",
        **extra,
    }
