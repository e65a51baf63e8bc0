"""A small known dataset for the statistics, built through the records service."""

import datetime as dt
import random

import pytest

from registry.core import generators
from registry.records.services import record_apply
from tests.factories import UserFactory

_rng = random.Random(14)


def person_form(
    *,
    name="张三",
    id_number=None,
    gender="M",
    birth="1990-05-01",
    levels=("junior",),
    education=("bachelor",),
    unit_type="enterprise",
    category=1,
    unit_name="北京华信会计有限公司",
):
    return {
        "category": category,
        "basic": {
            "name": name,
            "gender": gender,
            "id_type": "resident_id",
            # The number agrees with the stated birth date and gender, as a real form's must.
            "id_number": id_number
            or generators.resident_id(_rng, birth_date=dt.date.fromisoformat(birth), gender=gender),
            "birth_date": birth,
        },
        "education": [{"level": e, "school": "北京示例大学"} for e in education],
        "qualifications": [{"series": "accounting", "level": lv} for lv in levels],
        "employment": {"status": "employed", "unit_type": unit_type, "unit_name": unit_name},
    }


@pytest.fixture
def make_person(db):
    def make(district="110105", **fields):
        user = UserFactory()
        form = person_form(**fields)
        return record_apply(user=user, district_code=district, data=form, source="first_collection")

    return make


@pytest.fixture
def dataset(make_person):
    """朝阳 (110105): 3 people; 海淀 (110108): 2 people; 东城 (110101): 1 person, transferred out."""
    people = [
        make_person("110105", gender="M", birth="1995-01-01", levels=("junior",), education=("bachelor",)),
        make_person(
            "110105",
            gender="F",
            birth="1980-06-01",
            levels=("junior", "intermediate"),
            education=("master", "bachelor"),
            unit_type="institution",
        ),
        make_person("110105", gender="F", birth="1960-03-01", levels=(), education=("college",), category=2),
        make_person("110108", gender="M", birth="1985-12-31", levels=("senior",), education=("doctorate",)),
        make_person("110108", gender="F", birth="1970-07-07", levels=("junior",), education=("bachelor",)),
    ]
    from registry.records.models import RecordStatus
    from registry.records.services import record_set_status

    gone = make_person("110101", gender="M", birth="1990-01-01")
    record_set_status(record=gone, status=RecordStatus.TRANSFERRED_OUT)
    return people + [gone]


TODAY = dt.date(2026, 11, 27)
