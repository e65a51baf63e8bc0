"""The queue reads its rows as plain values through statements compiled once per shape (issue 17):
deep pages follow the ORM's order, a compiled statement is never reused across scopes, and filters,
search and the cursor take each call's values."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from registry.applications.counts import rebuild
from registry.applications.models import Application
from registry.core.masking import mask_id_number
from registry.review import selectors
from tests.applications.conftest import VALID_FORM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/review/applications"
WAITING = ["submitted", "in_review"]


def _waiting(district: str, n: int, *, claimer=None, start=None) -> list[Application]:
    """n waiting applications in `district`, written straight to the table; every third shares its
    submission time with the one before (the id breaks the tie), some claimed, some resubmitted."""
    start = start or timezone.now() - dt.timedelta(days=40)
    rows = []
    for i in range(n):
        claimed = claimer is not None and i % 4 == 0
        rows.append(
            Application(
                applicant=UserFactory(password=None),
                type="change" if i % 5 == 0 else "first_collection",
                status="in_review" if claimed else "submitted",
                district_id=district,
                form=VALID_FORM,
                round=2 if i % 7 == 0 else 1,
                submitted_at=start + dt.timedelta(minutes=i - i % 3 // 2),
                first_submitted_at=start,
                due_on=(start + dt.timedelta(days=20 + i % 30)).date(),
                applicant_name=f"申请人{district}-{i}",
                id_number=f"{district}19900101{i:03d}X",
                claimed_by=claimer if claimed else None,
            )
        )
    return Application.objects.bulk_create(rows)


def _documented_row(a: Application, today: dt.date) -> dict:
    """The API's QueueItem of an application, built from the ORM instance (API.md "Review")."""
    text = a.submitted_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    claimer = a.claimed_by
    return {
        "id": str(a.pk),
        "type": a.type,
        "status": a.status,
        "district": a.district_id,
        "applicant_name": a.applicant_name,
        "id_number": mask_id_number(a.id_number),
        "round": a.round,
        "submitted_at": text if a.submitted_at.microsecond else text.replace(".000Z", "Z"),
        "due_on": a.due_on.isoformat(),
        "overdue": a.due_on < today,
        "claimed_by": (claimer.name or claimer.phone) if claimer else None,
    }


def _all_pages(api, params=None) -> list[dict]:
    rows, cursor = [], None
    while True:
        body = api.get(QUEUE, {**(params or {}), **({"cursor": cursor} if cursor else {})}).json()
        rows += body["results"]
        cursor = body["next"]
        if not cursor:
            return rows


def test_deep_pages_follow_the_orm_order_and_never_leave_the_district(api, chaoyang_reviewer, haidian_reviewer):
    claimer = UserFactory(reviewer=True, district_codes=["110105"], name="", password=None)  # shown by phone
    start = timezone.now() - dt.timedelta(days=40)
    _waiting("110105", 120, claimer=claimer, start=start)
    _waiting("110108", 70, start=start + dt.timedelta(seconds=30))  # interleaved in time with 110105
    rebuild()
    today = timezone.localdate()
    expected = list(
        Application.objects.filter(district_id="110105", status__in=WAITING)
        .select_related("claimed_by")
        .order_by("submitted_at", "pk")
    )

    api.login(chaoyang_reviewer.phone)
    first = api.get(QUEUE).json()
    second = api.get(QUEUE, {"cursor": first["next"]}).json()
    assert second["results"] == [_documented_row(a, today) for a in expected[50:100]]
    assert second["counts"] == first["counts"] == {"submitted": 90, "in_review": 30}
    seen = _all_pages(api)
    assert [r["id"] for r in seen] == [str(a.pk) for a in expected]
    assert {r["district"] for r in seen} == {"110105"}

    # The statement compiled for the 朝阳区 reviewer is not the 海淀区 reviewer's.
    api.login(haidian_reviewer.phone)
    haidian = _all_pages(api)
    assert len(haidian) == 70 and {r["district"] for r in haidian} == {"110108"}


def test_the_admin_pages_through_every_district_in_order(api, municipal_admin):
    start = timezone.now() - dt.timedelta(days=40)
    _waiting("110105", 60, start=start)
    _waiting("110108", 60, start=start)  # the same times: the id orders them
    expected = Application.objects.filter(status__in=WAITING).order_by("submitted_at", "pk")
    api.login(municipal_admin.phone)
    assert [r["id"] for r in _all_pages(api)] == [str(pk) for pk in expected.values_list("pk", flat=True)]
    assert [r["id"] for r in _all_pages(api, {"district": "110108"})] == [
        str(pk) for pk in expected.filter(district_id="110108").values_list("pk", flat=True)
    ]


def test_filters_search_and_cursor_take_each_calls_values(chaoyang_reviewer, municipal_admin):
    claimer = UserFactory(reviewer=True, district_codes=["110105"], password=None)
    rows = _waiting("110105", 30, claimer=claimer)
    _waiting("110108", 10)
    today = timezone.localdate()
    for status in ["in_review", "submitted", "in_review"]:  # the same shape with other values
        page = selectors.review_queue(user=chaoyang_reviewer, status=status)
        assert page.results and {r.status for r in page.results} == {status}
    for kind in ["change", "first_collection"]:
        assert {r.type for r in selectors.review_queue(user=municipal_admin, type=kind).results} == {kind}
    for district in ["110108", "110105"]:
        found = selectors.review_queue(user=municipal_admin, district=district).results
        assert {r.district_id for r in found} == {district}
    for day in [today, rows[0].due_on + dt.timedelta(days=5)]:
        overdue = selectors.review_queue(user=chaoyang_reviewer, overdue=True, today=day).results
        assert [r.pk for r in overdue] == [
            a.pk for a in sorted(rows, key=lambda a: (a.submitted_at, a.pk)) if a.due_on < day
        ]
    for a in [rows[3], rows[17]]:
        assert [r.pk for r in selectors.review_queue(user=chaoyang_reviewer, q=a.applicant_name).results] == [a.pk]
        assert [r.pk for r in selectors.review_queue(user=chaoyang_reviewer, q=a.id_number.lower()).results] == [a.pk]
    assert selectors.review_queue(user=chaoyang_reviewer, q="申请人110108-1").results == []  # not in 朝阳区
    first = selectors.review_queue(user=chaoyang_reviewer, page_size=4)
    for cursor in [first.next, selectors.encode_cursor(first.results[1])]:
        after = selectors.review_queue(user=chaoyang_reviewer, page_size=4, cursor=cursor).results
        ordered = sorted(rows, key=lambda a: (a.submitted_at, a.pk))
        start = next(i for i, a in enumerate(ordered) if selectors.encode_cursor(a) == cursor) + 1
        assert [r.pk for r in after] == [a.pk for a in ordered[start : start + 4]]


def test_a_row_has_exactly_the_listed_columns(chaoyang_reviewer):
    claimer = UserFactory(reviewer=True, district_codes=["110105"], password=None)
    [a] = _waiting("110105", 1, claimer=claimer)
    [row] = selectors.review_queue(user=chaoyang_reviewer).results
    a = Application.objects.get(pk=a.pk)
    assert row == selectors.QueueRow(
        id=a.pk,
        type=a.type,
        status=a.status,
        district_id="110105",
        applicant_name=a.applicant_name,
        id_number=a.id_number,
        round=a.round,
        submitted_at=a.submitted_at,
        due_on=a.due_on,
        claimed_by_id=claimer.pk,
        claimed_by_name=claimer.name,
        claimed_by_phone=claimer.phone,
    )
    assert isinstance(row.id, uuid.UUID) and row.pk == a.pk and row.claimed_by_label == claimer.name


def test_a_staff_member_without_districts_sees_nothing(db):
    _waiting("110105", 3)
    nobody = UserFactory(reviewer=True, password=None)
    for _ in range(2):
        page = selectors.review_queue(user=nobody)
        assert page.results == [] and page.counts == {} and page.next is None
