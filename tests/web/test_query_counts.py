"""Query counts do not grow with the rows a page shows (Open Zaak's style: 1, 10 and 100 rows,
the same number of queries). A page that starts asking once per row fails here.

The rows are written straight to the tables: this is about reading them, and a hundred
applications through the services would take minutes.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.accounts import auth
from registry.applications.models import Application, ApplicationEvent, ApplicationRound
from registry.records.models import Record, RecordVersion
from registry.transfers.models import TransferCode
from tests.applications.conftest import VALID_FORM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SIZES = [1, 10, 100]


def count(client, path: str, **headers) -> int:
    client.get(path, **headers)  # warm the process caches (code tables, calendar) first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries)


def constant(counts: dict[int, int]) -> None:
    assert len(set(counts.values())) == 1, counts


def _applications(applicant_for, n: int, **fields) -> list[Application]:
    now = timezone.now()
    rows = [
        Application(
            applicant=applicant_for(i),
            type="first_collection",
            form=VALID_FORM,
            round=1,
            submitted_at=now - dt.timedelta(minutes=i),
            first_submitted_at=now,
            due_on=timezone.localdate(),
            applicant_name=f"申请人{i}",
            id_number="110105199003070033",
            **fields,
        )
        for i in range(n)
    ]
    return Application.objects.bulk_create(rows)


def _token(user) -> dict:
    key, _ = auth.token_issue(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_applicant_list(client):
    counts = {}
    for n in SIZES:
        person = UserFactory(password=None)
        _applications(lambda i, person=person: person, n, status="withdrawn", district_id="110105")
        client.force_login(person)
        counts[n] = (count(client, "/apply/"), count(client, "/api/v1/me/applications", **_token(person)))
    constant(counts)


@pytest.mark.parametrize("who", ["reviewer", "admin"])
def test_staff_queue(client, who):
    """First page and a cursor page, web and API, for a reviewer and the admin — with approved history
    growing beside the queue (the counts are read from the counters, never counted)."""
    from registry.applications.counts import rebuild
    from registry.review.selectors import encode_cursor

    counts = {}
    for n in SIZES:
        Application.objects.all().delete()
        if who == "reviewer":
            viewer = UserFactory(reviewer=True, district_codes=["110105"], password=None)
        else:
            viewer = UserFactory(admin=True, password=None)
        claimer = UserFactory(reviewer=True, district_codes=["110105"], password=None)
        waiting = _applications(
            lambda i: UserFactory(password=None), n, status="in_review", district_id="110105", claimed_by=claimer
        )
        history = UserFactory(password=None)
        _applications(lambda i, history=history: history, n, status="approved", district_id="110108")
        rebuild()
        cursor = encode_cursor(Application.objects.get(pk=waiting[-1].pk))  # the oldest: a page after it
        token, api = _token(viewer), Client()  # the API by token alone, no session
        client.force_login(viewer)
        counts[n] = (
            count(client, "/staff/queue/"),
            count(client, f"/staff/queue/?cursor={cursor}"),
            count(api, "/api/v1/review/applications", **token),
            count(api, f"/api/v1/review/applications?cursor={cursor}", **token),
        )
    constant(counts)
    web, web_deep, api_first, api_deep = counts[1]
    assert web == web_deep and api_first == api_deep, counts
    # The token (with a reviewer's districts in the same statement), the counters, the page — on
    # PostgreSQL the counters and the page in one round trip (selectors.review_queue_json):
    assert api_first == (2 if connection.vendor == "postgresql" else 3), counts
    # The session with its user (and the districts) in one statement, the counters and the page
    # (one round trip on PostgreSQL, selectors._run_together):
    assert web == (2 if connection.vendor == "postgresql" else 3), counts


def test_review_detail(client):
    """Rows: rounds, their decisions and the timeline of one application."""
    counts = {}
    for n in SIZES:
        decider = UserFactory(reviewer=True, district_codes=["110105"], password=None)
        (application,) = _applications(
            lambda i: UserFactory(password=None), 1, status="in_review", district_id="110105", claimed_by=decider
        )
        ApplicationRound.objects.bulk_create(
            ApplicationRound(
                application=application,
                number=i + 1,
                form=VALID_FORM,
                district_id="110105",
                submitted_at=timezone.now(),
                decision="rejected" if i + 1 < n else "",
                reasons=["photo_noncompliant"],
                decided_by=decider if i + 1 < n else None,
            )
            for i in range(n)
        )
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(application=application, kind="claimed", round=i + 1, actor=decider) for i in range(n)
        )
        Application.objects.filter(pk=application.pk).update(round=n)
        client.force_login(decider)
        counts[n] = (
            count(client, f"/staff/review/{application.pk}/"),
            count(client, f"/api/v1/review/applications/{application.pk}", **_token(decider)),
        )
    constant(counts)


def test_staff_user_list(client):
    admin = UserFactory(admin=True, password=None)
    client.force_login(admin)
    counts = {}
    made = 0
    for n in SIZES:
        while made < n:
            UserFactory(reviewer=True, district_codes=["110105", "110108"], password=None)
            made += 1
        counts[n] = count(client, "/staff/users/")
    constant(counts)


def test_record_page(client):
    """Rows: the record's versions and the transfer codes the person was ever issued."""
    counts = {}
    for n in SIZES:
        person = UserFactory(password=None)
        record = Record.objects.create(
            user=person, district_id="110105", name="李明", id_number=f"11010519900307{n:04d}", version=n
        )
        RecordVersion.objects.bulk_create(
            RecordVersion(record=record, version=i + 1, district_id="110105", data=VALID_FORM, source="change")
            for i in range(n)
        )
        now = timezone.now()
        TransferCode.objects.bulk_create(
            TransferCode(
                code=f"ZR{n:03d}{i:03d}-TEST",
                record=record,
                person=person,
                source_district_id="110105",
                destination_region_id="130000",
                issued_at=now,
                issued_by=person,
                expires_at=now - dt.timedelta(days=1),
            )
            for i in range(n)
        )
        client.force_login(person)
        counts[n] = (count(client, "/record/"), count(client, "/api/v1/me/transfer-codes", **_token(person)))
    constant(counts)
    # the session with its user and the unread notices (one statement), record (with its imported row
    # and its latest version's data), open application, transfer codes (their destinations' names
    # from the cached regions, not a join), integrity entries — on PostgreSQL the record,
    # application, codes and entries in one round trip (applications.selectors.record_page_of)
    assert counts[1][0] == (2 if connection.vendor == "postgresql" else 5), counts


# --- Lean read pages and the draft save (issue 17): pinned counts, the same at 1, 10 and 100 rows ---
# Session and user (with the header's unread count) are 1 of each web count, read in one statement
# (none written: the session is saved only when it changes);
# a bearer call reads its token instead. Reference data (codes, regions, contacts) is read 0 times:
# it is held per process (core.refdata), warmed by the first call of `count`.


def _attachments(application, n: int) -> None:
    from registry.applications.models import Attachment

    Attachment.objects.bulk_create(
        Attachment(
            application=application,
            kind="other",
            file=f"x/{application.pk}-{i}.jpg",
            original_name=f"其他{i}.jpg",
            content_type="image/jpeg",
            size=1000,
            sha256="0" * 64,
            uploaded_by=application.applicant,
        )
        for i in range(n)
    )


def _decided_history(application, n: int) -> None:
    """n rounds (all but the last decided: rejected) and n timeline events."""
    ApplicationRound.objects.bulk_create(
        ApplicationRound(
            application=application,
            number=i + 1,
            form=VALID_FORM,
            district_id="110105",
            submitted_at=timezone.now(),
            decision="rejected" if i + 1 < n else "",
            reasons=["photo_noncompliant"],
        )
        for i in range(n)
    )
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(application=application, kind="submitted", round=i + 1, actor=application.applicant)
        for i in range(n)
    )
    Application.objects.filter(pk=application.pk).update(round=n)


def test_status_page_and_applicant_application_api():
    """Rows: rounds, decisions, events and materials of one application, beside another person's."""
    from django.test import Client

    counts = {}
    for n in SIZES:
        for who in ("mine", "theirs"):
            person = UserFactory(password=None)
            (application,) = _applications(lambda i, p=person: p, 1, status="submitted", district_id="110105")
            _decided_history(application, n)
            _attachments(application, n)
            if who == "mine":
                mine, own = person, application
        client = Client()
        client.force_login(mine)
        counts[n] = (
            count(client, f"/apply/{own.pk}/"),
            count(Client(), f"/api/v1/me/applications/{own.pk}", **_token(mine)),
        )
    constant(counts)
    # the session with its user and unread notices, application, latest opinion, events |
    # token, application, attachments with their readings (one join), events, latest opinion;
    # on PostgreSQL an application with its events, opinion (and materials) is one round trip
    # (applications.selectors.own_application_with_history_or_404)
    assert counts[1] == ((2, 2) if connection.vendor == "postgresql" else (4, 5)), counts


def _draft(person, n: int) -> Application:
    """A draft with n education entries and n materials."""
    form = {**VALID_FORM, "education": [VALID_FORM["education"][0]] * min(n, 10)}
    application = Application.objects.create(applicant=person, type="first_collection", form=form)
    _attachments(application, n)
    return application


def _counted(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()

    assert response.status_code == 200, response.content[:500]
    return len(queries)


def test_form_step_and_draft_saves(django_capture_on_commit_callbacks):
    """The step page (GET), its autosave (web) and the form PUT (API) with growing drafts, beside
    another person's draft."""
    import json

    from django.test import Client

    counts = {}
    for n in SIZES:
        person, other = UserFactory(password=None), UserFactory(password=None)
        draft = _draft(person, n)
        _draft(other, n)
        client = Client()
        client.force_login(person)
        token = _token(person)
        form = dict(draft.form)
        edits = iter(range(100))

        def put(form=form, draft=draft, token=token, edits=edits):
            form["basic"] = {**form["basic"], "email": f"li{next(edits)}@example.com"}  # a change: audited
            return Client().put(
                f"/api/v1/me/applications/{draft.pk}/form",
                data=json.dumps(form),
                content_type="application/json",
                **token,
            )

        def autosave(client=client, draft=draft, edits=edits):
            return client.post(f"/apply/{draft.pk}/employment/autosave/", {"employment.position": f"p{next(edits)}"})

        count(client, f"/apply/{draft.pk}/basic/")
        put()
        autosave()
        counts[n] = (
            _counted(lambda client=client, draft=draft: client.get(f"/apply/{draft.pk}/education/")),
            _counted(autosave),
            _counted(put),
        )
    constant(counts)
    # step: the session with its user and unread notices, the application (the step's checks leave
    #   the materials out, so they are not read)
    # autosave: the session with its user, application, the save (with the audit row: transaction,
    #   update, chain head read + row + head update: 8 statements with the savepoints)
    # PUT: token, application, materials with their readings (one join), events, latest opinion,
    #   the save (8)
    # On PostgreSQL the audit row and the chain head's update are one statement (audit.services._append),
    # and the PUT's application, materials, events and opinion one round trip
    # (applications.selectors.own_application_with_history_or_404).
    if connection.vendor == "postgresql":
        assert counts[1] == (2, 9, 9), counts
    else:
        assert counts[1] == (2, 10, 13), counts
