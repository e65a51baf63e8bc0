"""Every breakdown of the summary against a small known dataset, scoping, and the refresh job."""

import pytest
from django.utils import timezone

from registry.records.services import record_apply
from registry.stats.facts import age_band, fact_fields
from registry.stats.models import Figure, PersonFact
from registry.stats.services import median_from_histogram, stats_refresh
from tests.helpers import problem

from .conftest import person_form


def _age(birth_year):
    return age_band(birth_year, timezone.localdate())


@pytest.mark.django_db
def test_breakdowns_exact(dataset, api, municipal_admin):
    stats_refresh()
    api.login(municipal_admin.phone)
    body = api.get("/api/v1/stats/summary", {"region": "110000"}).json()
    assert body["total"] == 5  # the transferred-out person is not counted
    assert body["by_district"]["110105"] == 3 and body["by_district"]["110108"] == 2
    assert body["by_district"]["110101"] == 0
    assert body["by_qualification_level"] == {"": 1, "intermediate": 1, "junior": 2, "senior": 1}
    assert body["by_education"] == {"bachelor": 2, "college": 1, "doctorate": 1, "master": 1}
    assert body["by_gender"] == {"F": 3, "M": 2}
    assert body["by_unit_type"] == {"enterprise": 4, "institution": 1}
    assert body["by_category"] == {"1": 4, "2": 1}
    assert body["by_status"] == {"normal": 5, "transferred_out": 1}
    expected_bands: dict[str, int] = {}
    for year in (1995, 1980, 1960, 1985, 1970):
        expected_bands[_age(year)] = expected_bands.get(_age(year), 0) + 1
    assert body["by_age_band"] == dict(sorted(expected_bands.items()))
    month = timezone.localdate().strftime("%Y-%m")
    assert body["flows"][month]["first_collection"] == 6
    assert body["as_of"] is not None and body["pending"] == 0
    assert body["ce_compliance"] == {}  # no credits app yet: "暂无数据" on the page


@pytest.mark.django_db
def test_reviewer_sees_only_own_districts(dataset, api, chaoyang_reviewer, haidian_reviewer):
    stats_refresh()
    api.login(chaoyang_reviewer.phone)
    body = api.get("/api/v1/stats/summary").json()
    assert body["districts"] == ["110105"]
    assert body["total"] == 3 and body["by_district"] == {"110105": 3}
    assert body["by_qualification_level"] == {"": 1, "intermediate": 1, "junior": 1}
    problem(api.get("/api/v1/stats/summary", {"district": "110108"}), 403, "forbidden_district")
    api.login(haidian_reviewer.phone)
    body = api.get("/api/v1/stats/summary", {"district": "110108"}).json()
    assert body["total"] == 2 and body["by_gender"] == {"F": 1, "M": 1}


@pytest.mark.django_db
def test_applicant_refused_and_anonymous_401(dataset, api, applicant):
    problem(api.get("/api/v1/stats/summary"), 401, "not_authenticated")
    api.login(applicant.phone)
    problem(api.get("/api/v1/stats/summary"), 403, "forbidden")


@pytest.mark.django_db
def test_refresh_is_incremental_and_follows_changes(dataset, make_person):
    stats_refresh()
    assert PersonFact.objects.count() == 6
    first = dataset[0]
    form = person_form(levels=("professor",), education=("doctorate",), gender="M", birth="1995-01-01")
    # a change that also moves the person from 朝阳 to 海淀
    record_apply(user=first.user, district_code="110108", data=form, source="change")
    snapshot = stats_refresh(limit=1)
    assert snapshot.pending == 0
    fact = PersonFact.objects.get(record_id=first.pk)
    assert (fact.district, fact.level, fact.version) == ("110108", "professor", 2)
    levels = dict(Figure.objects.filter(dimension="level", district="110108").values_list("key", "value"))
    assert levels == {"junior": 1, "senior": 1, "professor": 1}
    month = timezone.localdate().strftime("%Y-%m")
    moves = Figure.objects.get(dimension="flow:move_in", district="110108", key=month)
    assert moves.value == 1
    assert Figure.objects.get(dimension="flow:move_out", district="110105", key=month).value == 1
    assert Figure.objects.get(dimension="flow:change", district="110108", key=month).value == 1


@pytest.mark.django_db
def test_refresh_in_parts_reports_pending(dataset):
    snapshot = stats_refresh(limit=4)
    assert (snapshot.facts, snapshot.pending) == (4, 2)
    snapshot = stats_refresh(limit=4)
    assert (snapshot.facts, snapshot.pending) == (6, 0)
    again = stats_refresh(limit=4)  # idempotent: nothing stale, same figures
    assert again.facts == 6 and Figure.objects.filter(dimension="level").count() > 0


def test_fact_fields_take_the_highest():
    data = person_form(levels=("senior", "junior"), education=("college", "master", "bachelor"))
    fields = fact_fields(data)
    assert fields["level"] == "senior" and fields["education"] == "master"
    assert fact_fields({}) == {
        "level": "",
        "education": "",
        "gender": "",
        "birth_year": None,
        "unit_type": "",
        "category": "",
    }


def test_median_from_histogram():
    assert median_from_histogram({}) is None
    assert median_from_histogram({3: 1}) == 3
    assert median_from_histogram({1: 1, 5: 1}) == 3
    assert median_from_histogram({1: 2, 2: 1, 10: 1}) == 1.5


@pytest.mark.django_db
def test_summary_queries_do_not_grow_with_people(
    make_person, chaoyang_reviewer, municipal_admin, django_assert_num_queries
):
    """The summary reads the figures only: the same queries for 2 people or 20, any role."""
    from registry.accounts.models import User
    from registry.stats.selectors import stats_summary

    for _ in range(2):
        make_person("110105")
    stats_refresh()
    reviewer = User.objects.get(pk=chaoyang_reviewer.pk)  # no cached district list
    with django_assert_num_queries(4):  # reviewing units, the reviewer's districts, snapshot, figures
        small = stats_summary(user=reviewer)
    for _ in range(18):
        make_person("110105")
    stats_refresh()
    reviewer = User.objects.get(pk=chaoyang_reviewer.pk)
    with django_assert_num_queries(4):
        large = stats_summary(user=reviewer)
    assert (small["total"], large["total"]) == (2, 20)
    with django_assert_num_queries(3):  # an admin has no district list to read
        stats_summary(user=municipal_admin)
