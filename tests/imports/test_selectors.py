"""Imported vs claimed, by district — for the admin page and the statistics dashboard."""

import pytest

from registry.imports import claims
from registry.imports.samples import sample_row
from registry.imports.selectors import imported_and_claimed_by_district
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_counts_by_district_scoped_to_what_the_user_sees(rng, import_rows, chaoyang_reviewer, municipal_admin):
    rows = [
        sample_row(rng, district="110105", phone="13811110001"),
        sample_row(rng, district="110105"),
        sample_row(rng, district="110108"),
    ]
    import_rows(rows)
    claims.claim_start(user=UserFactory(phone="13811110001"), id_number=rows[0]["id_number"])

    everything = imported_and_claimed_by_district()
    assert [(r["district"], r["name"], r["imported"], r["claimed"], r["unclaimed"]) for r in everything] == [
        ("110105", "朝阳区", 2, 1, 1),
        ("110108", "海淀区", 1, 0, 1),
    ]
    assert imported_and_claimed_by_district(municipal_admin) == everything
    assert [r["district"] for r in imported_and_claimed_by_district(chaoyang_reviewer)] == ["110105"]
    assert imported_and_claimed_by_district(UserFactory()) == []


def test_one_query_however_many_districts(rng, import_rows, django_assert_num_queries):
    import_rows([sample_row(rng, district=d) for d in ("110101", "110102", "110105", "110108")])
    with django_assert_num_queries(2):  # the counts, and the district names
        assert len(imported_and_claimed_by_district()) == 4
