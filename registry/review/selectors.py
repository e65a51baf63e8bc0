"""The review queue: scoped to the reviewer's districts, filtered, searched, oldest first, keyset-paginated."""

import codecs
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import NamedTuple

from django.db import connections, router
from django.db.models import Count, F, Sum
from django.utils import timezone

from registry.accounts import access
from registry.accounts.access import filter_visible
from registry.applications.models import Application, ApplicationCertificate, ApplicationStatus, StatusCount
from registry.core import compiled, keyset, prepared
from registry.core.keyset import BadCursor  # noqa: F401  (the views catch selectors.BadCursor)

REVIEW_STATUSES = [ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW]
PAGE_SIZE = 50


class QueueRow(NamedTuple):
    """One row of the queue (the API's QueueItem, the web queue's row): the listed columns only —
    never the form JSON — read as plain values, not as model instances (issue 17)."""

    id: uuid.UUID
    type: str
    status: str
    district_id: str
    applicant_name: str
    id_number: str
    round: int
    submitted_at: dt.datetime
    due_on: dt.date | None
    claimed_by_id: uuid.UUID | None
    claimed_by_name: str | None
    claimed_by_phone: str | None

    @property
    def pk(self):
        return self.id

    @property
    def claimed_by_label(self) -> str | None:
        """Who has claimed it: the name, else the phone (API.md "Review")."""
        if self.claimed_by_id is None:
            return None
        return self.claimed_by_name or self.claimed_by_phone


@dataclass
class QueuePage:
    results: list[QueueRow]
    next: str | None
    counts: dict[str, int]


def encode_cursor(application) -> str:
    """The cursor of the page after this application (a model instance or a QueueRow)."""
    return keyset.encode(application.submitted_at, application.pk)


decode_cursor = keyset.decode

_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def _search_terms(q: str) -> tuple[str, list[str]]:
    """The kind of search and its values: an ID number alone, or a name / ID number / certificate number."""
    name = q.strip()
    number = name.upper()
    if not name:
        return "", []
    if _ID_NUMBER.fullmatch(number):
        return "id_number", [number]
    return "any", [name, number, number]


def _search(queryset, kind: str, terms: list[str]):
    """Exact matches on indexed columns: an ID number, a certificate number, or a name."""
    if kind == "id_number":
        return queryset.filter(id_number=terms[0])
    name, number, certificate = terms
    # A UNION of three index look-ups, not an OR: PostgreSQL cannot combine an OR holding a subquery
    # into index scans, and counted a common name against all 1.1M applications (0.4–4.9 s at 1M
    # people; ~4 ms as a UNION).
    found = (
        Application.objects.filter(applicant_name=name)
        .values("pk")
        .union(
            Application.objects.filter(id_number=number).values("pk"),
            ApplicationCertificate.objects.filter(number=certificate).values("application_id"),
        )
    )
    return queryset.filter(pk__in=found)


# The columns of a QueueRow, in its order.
ROW_COLUMNS = [
    "id",
    "type",
    "status",
    "district_id",
    "applicant_name",
    "id_number",
    "round",
    "submitted_at",
    "due_on",
    "claimed_by_id",
]
ROW_JOINED = {"claimed_by_name": F("claimed_by__name"), "claimed_by_phone": F("claimed_by__phone")}
COUNTED_STATUSES = REVIEW_STATUSES + [ApplicationStatus.REJECTED, ApplicationStatus.APPROVED]


def after(moment: dt.datetime, pk):
    """The keyset condition: rows strictly after (submitted_at, id) = (moment, pk), in the queue's
    order (submitted_at, id ascending — the only order the queue has)."""
    return keyset.after("submitted_at", moment, pk)


def _scope_key(user) -> tuple:
    """Everything `in_districts_of(user)` depends on: a compiled queue statement is reused only by
    callers with the same scope (the districts are in its SQL, not among its values)."""
    if access.is_admin(user):
        return ("admin",)
    if access.is_reviewer(user):
        return ("districts", *sorted(access.district_codes(user)))
    return ("nobody",)


def _scoped(user, given: dict):
    base = Application.objects.in_districts_of(user)
    if "district" in given:
        base = base.filter(district_id=given["district"])
    if "type" in given:
        base = base.filter(type=given["type"])
    return base


def _compiled(name: str, user, given: dict, terms: list, build, *extra_key) -> tuple:
    """(key, build, values) for core/compiled.py: `build(given, terms)` compiled once per shape (which
    filters are given, the search's kind, the caller's scope) and run with this call's values —
    building and compiling the ORM's queries was most of the queue's CPU."""
    names = tuple(given)

    def build_from(values):
        return build(dict(zip(names, values[: len(names)], strict=True)), values[len(names) :])

    key = (name, _scope_key(user), names, len(terms), *extra_key)
    return key, build_from, [*given.values(), *terms]


def _run(query: tuple) -> list:
    """The rows of a `_compiled(...)` query, as tuples."""
    key, build, values = query
    return compiled.rows(key, build, values, using=router.db_for_read(Application), as_tuples=True)


def _run_together(*queries: tuple) -> list[list]:
    """The rows of each `_compiled(...)` query (as `_run` gives them), sent in ONE execute on
    PostgreSQL with psycopg's client-side binding (as review_queue_json does); one by one elsewhere
    or while a shape is not cached yet. A round trip is a quarter of a millisecond of the
    machine's CPU under load: the web queue's counts and page are one."""
    using = router.db_for_read(Application)
    if connections[using].vendor != "postgresql":
        return [_run(query) for query in queries]
    statements = [compiled.statement(*query, using=using, as_tuples=True) for query in queries]
    if all(statement is not None for statement in statements):
        with connections[using].cursor() as db:
            if compiled.sends_together(db):
                fetched = compiled.execute_together(db, [(s.sql, s.params) for s in statements])
                return [s.convert(rows) for s, rows in zip(statements, fetched, strict=True)]
    return [_run(query) for query in queries]


def _counts(rows) -> dict[str, int]:
    return {status: n for status, n in rows if n}


def _status_counts_query(user, given: dict) -> tuple:
    def build(given, _terms):
        rows = filter_visible(StatusCount.objects.all(), user, owner_field=None, district_field="district")
        if "district" in given:
            rows = rows.filter(district_id=given["district"])
        if "type" in given:
            rows = rows.filter(type=given["type"])
        return rows.filter(status__in=COUNTED_STATUSES).values("status").annotate(total=Sum("n")).order_by()

    return _compiled("status_counts", user, given, [], build)


def status_counts(*, user, district: str | None = None, type: str | None = None) -> dict[str, int]:
    """Applications per status in this staff member's districts, from the counters
    (applications.counts): a few hundred rows at most, however long the approved history."""
    given = {k: v for k, v in (("district", district), ("type", type)) if v}
    return _counts(_run(_status_counts_query(user, given)))


def _search_counts_query(user, given: dict, kind: str, terms: list[str]) -> tuple:
    """Per status among what a search found: an exact match on indexed columns, as cheap to count as to find."""

    def build(given, terms):
        found = _search(_scoped(user, given), kind, terms).filter(status__in=COUNTED_STATUSES)
        return found.values("status").annotate(n=Count("pk")).order_by()

    return _compiled("search_counts", user, given, terms, build, kind)


def _queue_queries(*, user, status, type, district, overdue, q, cursor, page_size, today) -> tuple[tuple, tuple]:
    """The queue's two reads, (the counts, the page of page_size + 1 rows), as `_compiled(...)` queries."""
    moment, pk = decode_cursor(cursor) if cursor else (None, None)
    given = {k: v for k, v in (("district", district), ("type", type)) if v}
    kind, terms = _search_terms(q)
    counts = _search_counts_query(user, given, kind, terms) if kind else _status_counts_query(user, dict(given))
    if status:
        given["status"] = status
    if overdue:
        given["today"] = today or timezone.localdate()
    if cursor:
        given["moment"], given["pk"] = moment, uuid.UUID(pk)
    # Only what is waiting can be overdue: with another status the page is empty. The waiting
    # statuses are not said a second time — PostgreSQL multiplied the two conditions' selectivity,
    # expected a tenth of the rows and sorted a district's overdue queue instead of walking its
    # index (a reviewer's overdue page with a cursor, 16 → 0.1 ms at 1M people).
    none_overdue = bool(overdue and status and status not in REVIEW_STATUSES)

    def build(given, terms):
        queryset = _scoped(user, given)
        if kind:
            queryset = _search(queryset, kind, terms)
        if "status" in given:
            queryset = queryset.filter(status=given["status"])
        else:
            queryset = queryset.filter(status__in=REVIEW_STATUSES)
        if "today" in given:
            queryset = queryset.filter(due_on__lt=given["today"])
        if "moment" in given:
            queryset = queryset.filter(after(given["moment"], given["pk"]))
        if none_overdue:
            queryset = queryset.none()
        return queryset.values(*ROW_COLUMNS, **ROW_JOINED).order_by("submitted_at", "pk")[: page_size + 1]

    return counts, _compiled("review_queue", user, given, terms, build, kind, page_size, none_overdue)


def review_queue(
    *,
    user,
    status: str | None = None,
    type: str | None = None,
    district: str | None = None,
    overdue: bool = False,
    q: str = "",
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> QueuePage:
    counts, page = _queue_queries(
        user=user,
        status=status,
        type=type,
        district=district,
        overdue=overdue,
        q=q,
        cursor=cursor,
        page_size=page_size,
        today=today,
    )
    counted, found = _run_together(counts, page)
    counts = _counts(counted)
    rows = list(map(QueueRow._make, found[:page_size]))
    more = len(found) > page_size
    return QueuePage(results=rows, next=encode_cursor(rows[-1]) if more else None, counts=counts)


# The page's rows as the JSON text of the API's QueueItems, written by PostgreSQL exactly as the
# Python path's json.dumps would (key order, ", " and ": ", DjangoJSONEncoder's datetimes,
# mask_id_number, overdue as is_overdue, claimed_by as QueueRow.claimed_by_label) — non-ASCII
# characters aside, which `_ascii` escapes — joined by ", " in the queue's order; with them the
# number of rows and the key of row `page_size` (the next page's cursor). Each function call per
# row counts (~0.15 µs × 50 rows): hence one concat(), quotes written by to_char, the masking's
# common length first. Parameters: page_size (×2), today, then the page's own.
_STATUSES_SQL = ", ".join(f"'{s}'" for s in REVIEW_STATUSES)
_JSON_PAGE = r"""
SELECT string_agg(item, ', ' ORDER BY submitted_at, id), count(*),
       (array_agg(submitted_at ORDER BY submitted_at, id))[%s],
       (array_agg(id ORDER BY submitted_at, id))[%s]
FROM (
    SELECT page.submitted_at, page.id, concat(
        '{"id": "', page.id,
        '", "type": ', to_json(page.type),
        ', "status": ', to_json(page.status),
        ', "district": ', coalesce(to_json(page.district), 'null'),
        ', "applicant_name": ', to_json(page.applicant_name),
        ', "id_number": ', to_json(CASE
            WHEN length(page.id_number) = 18 THEN overlay(page.id_number placing '********' from 7)
            WHEN page.id_number = '' THEN ''
            WHEN length(page.id_number) <= 10 THEN concat(
                left(page.id_number, 2), repeat('*', length(page.id_number) - 4), right(page.id_number, 2))
            ELSE concat(left(page.id_number, 6), repeat('*', length(page.id_number) - 10), right(page.id_number, 4))
            END),
        ', "round": ', page.round,
        ', "submitted_at": ', coalesce(to_char(
            page.submitted_at AT TIME ZONE 'UTC',
            CASE WHEN date_trunc('second', page.submitted_at) = page.submitted_at
            THEN '\"YYYY-MM-DD"T"HH24:MI:SS"Z"\"' ELSE '\"YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\"' END
        ), 'null'),
        ', "due_on": ', coalesce(to_char(page.due_on, '\"YYYY-MM-DD\"'), 'null'),
        ', "overdue": ', CASE
            WHEN page.due_on < %s AND page.status IN (__STATUSES__) THEN 'true' ELSE 'false' END,
        ', "claimed_by": ', CASE
            WHEN page.claimed_by_id IS NULL THEN 'null'
            ELSE coalesce(to_json(coalesce(nullif(page.claimer_name, ''), page.claimer_phone)), 'null')
            END,
        '}'
    ) AS item
    FROM (__PAGE__) AS page (
        id, type, status, district, applicant_name, id_number, round, submitted_at, due_on,
        claimed_by_id, claimer_name, claimer_phone
    )
) AS items
""".replace("__STATUSES__", _STATUSES_SQL)
# Where the last item starts: no JSON string holds an unescaped quote, so this is never inside a value.
_ITEM_START = ', {"id": "'


def _ascii_escape(error: UnicodeEncodeError) -> tuple[str, int]:
    """json.dumps's escapes (ensure_ascii) for a run of non-ASCII characters."""
    return encode_basestring_ascii(error.object[error.start : error.end])[1:-1], error.end


codecs.register_error("registry-json-ascii", _ascii_escape)


def _ascii(text: str) -> bytes:
    """PostgreSQL's JSON text as json.dumps writes it: non-ASCII characters and DEL escaped
    (PostgreSQL escapes quotes, backslashes and control characters just as json.dumps does)."""
    if "\x7f" in text:
        text = text.replace("\x7f", "\\u007f")
    return text.encode("ascii", "registry-json-ascii")


@dataclass
class QueuePageJson:
    results: bytes  # the page's QueueItem list as json.dumps writes it (ASCII)
    next: str | None
    counts: dict[str, int]


def review_queue_json(
    *,
    user,
    status: str | None = None,
    type: str | None = None,
    district: str | None = None,
    overdue: bool = False,
    q: str = "",
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
    today: dt.date | None = None,
) -> QueuePageJson | None:
    """The API's queue page with its rows already JSON, counts and page in one round trip — on
    PostgreSQL with psycopg's client-side binding (two statements in one execute); None elsewhere
    (the caller takes `review_queue`). Per-row Python (loading datetimes, masking, formatting,
    encoding) was most of what the queue's own work cost (issue 17)."""
    using = router.db_for_read(Application)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    today = today or timezone.localdate()
    counts_query, page_query = _queue_queries(
        user=user,
        status=status,
        type=type,
        district=district,
        overdue=overdue,
        q=q,
        cursor=cursor,
        page_size=page_size,
        today=today,
    )
    counts = compiled.statement(*counts_query, using=using, as_tuples=True)
    page = compiled.statement(*page_query, using=using)
    if counts is None or page is None:  # nothing to see (no district): the ordinary way answers
        return None
    written = _JSON_PAGE.replace("__PAGE__", page.sql)
    written_params = [page_size, page_size, today, *page.params]
    with connection.cursor() as db:
        if not compiled.sends_together(db):
            return None
        if prepared.may_prepare(connection) and not _search_terms(q)[0]:
            # Parsing and planning the JSON statement cost more than running it: prepared once per
            # connection (and day: today is written in), a call sends `EXECUTE` with its cursor.
            # Only the cursor is a parameter: PostgreSQL's generic plan for a parameter in place of
            # `today` or a status was slower (no partial index, a guess at how many are overdue).
            # Searches are one-off values, not prepared.
            names = page_query[0][2]
            cursor_positions = tuple(3 + page.varying[names.index(n)] for n in ("moment", "pk") if n in names)
            counts_sql, counts_params = prepared.execute_prepared(db, counts.sql, counts.params, ())
            written, written_params = prepared.execute_prepared(db, written, written_params, cursor_positions)
        else:
            counts_sql, counts_params = counts.sql, counts.params
        counted, [(text, found, last_at, last_id)] = compiled.execute_together(
            db, [(counts_sql, counts_params), (written, written_params)]
        )
        counted = counts.convert(counted)
    more = found > page_size
    if more:  # the page_size + 1st row only tells that there is a next page
        text = text[: text.rindex(_ITEM_START)]
    return QueuePageJson(
        results=b"[%s]" % _ascii(text or ""),
        next=keyset.encode(last_at, last_id) if more else None,
        counts=_counts(counted),
    )


def is_overdue(application: Application, today: dt.date | None = None) -> bool:
    return bool(
        application.due_on
        and application.status in REVIEW_STATUSES
        and application.due_on < (today or timezone.localdate())
    )


def reassign_candidates(application: Application) -> list:
    """Reviewers an admin may hand this application to: active reviewers of its district, never its applicant."""
    from registry.accounts.models import Role, User

    return list(
        User.objects.filter(role=Role.REVIEWER, is_active=True, districts=application.district_id)
        .exclude(pk=application.applicant_id)
        .order_by("name", "phone")
    )


def reassign_candidate(application: Application, reviewer_id: str):
    """The chosen reviewer, or ServiceError invalid_reviewer."""
    from registry.core.errors import ServiceError

    found = next((u for u in reassign_candidates(application) if str(u.pk) == str(reviewer_id)), None)
    if found is None:
        raise ServiceError("invalid_reviewer", "只能改派给负责该区的审核员。", field="reviewer")
    return found
