"""`seed_demo --people N` generates history the services could have written: every record with its
approved application and rounds, versions for each approved change, moves, transfer codes, credits
and obligations, and waiting applications in the queues. Runs outside a test transaction so that on
PostgreSQL the batches go through the worker processes and COPY, as the million-person seed does."""

from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationEvent, ApplicationRound
from registry.credits.models import CreditObligation, CreditRecord
from registry.credits.selectors import current_data, obliged_from_data
from registry.demo.people import BEIJING_UNITS, DEMO_PASSWORD, PHONE_PREFIX
from registry.records.models import Record, RecordMove, RecordVersion
from registry.review.selectors import review_queue
from registry.transfers.models import TransferCode

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = 700
WAITING = ["submitted", "in_review"]


def test_seeded_history_is_consistent(capsys):
    call_command("seed_demo", people=PEOPLE, batch=250)
    out = capsys.readouterr().out
    assert f"新增 {PEOPLE} 名" in out and "13800000002 / Shenhe2026" in out
    people = User.objects.filter(phone__startswith=PHONE_PREFIX)
    records = Record.objects.filter(user__phone__startswith=PHONE_PREFIX)
    assert people.count() == PEOPLE and 0.85 * PEOPLE < records.count() < 0.95 * PEOPLE
    if connection.vendor == "postgresql":  # the planner has statistics of the bulk-loaded tables
        with connection.cursor() as cursor:
            for model in (Record, RecordVersion, Application, CreditRecord):
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [model._meta.db_table])
                assert cursor.fetchone()[0] == model.objects.count(), model
    reviewer, admin = User.objects.get(phone="13800000002"), User.objects.get(phone="13800000003")
    now = timezone.now()

    # Every record: its approved first collection (or transfer in) with its rounds, the last approved.
    collections = {
        a.applicant_id: a
        for a in Application.objects.filter(type__in=["first_collection", "transfer_in"], status="approved")
    }
    rounds = {}
    for r in ApplicationRound.objects.order_by("number"):
        rounds.setdefault(r.application_id, []).append(r)
    for record in records.select_related("user"):
        application = collections[record.user_id]
        its_rounds = rounds[application.pk]
        assert [r.number for r in its_rounds] == list(range(1, application.round + 1))
        assert its_rounds[-1].decision == "approved" and all(r.decision == "rejected" for r in its_rounds[:-1])
        assert its_rounds[-1].decided_by_id == (reviewer.pk if its_rounds[-1].district_id == "110105" else admin.pk)
        assert application.first_submitted_at <= application.submitted_at <= application.decided_at <= now
        assert record.user.date_joined <= application.created_at <= application.first_submitted_at
        assert application.form == its_rounds[-1].form and application.form["basic"]["id_number"] == record.id_number
    assert len(collections) == records.count()
    assert Application.objects.filter(type="transfer_in", status="approved").exclude(origin_region="").exists()
    assert ApplicationRound.objects.filter(decision="rejected").exists()

    # Versions 1..version per record; a version 2 for each approved change; a move when its district changed.
    versions = Counter(RecordVersion.objects.values_list("record_id", flat=True))
    assert all(versions[r.pk] == r.version for r in records)
    changes = Application.objects.filter(type="change", status="approved")
    assert changes.count() == RecordVersion.objects.filter(source="change").count() > 0.05 * records.count()
    moved = [r for r in records if r.versions.get(version=1).district_id != r.district_id]
    assert moved and sorted(RecordMove.objects.values_list("record_id", flat=True)) == sorted(r.pk for r in moved)
    for record in moved:
        assert changes.get(applicant_id=record.user_id).district_id == record.district_id  # reviewed there

    # Transfers out: an approved application, a code issued by its reviewer, the record 调出中.
    codes = TransferCode.objects.select_related("transfer_out", "record")
    assert codes.exists() and records.filter(status="transferring_out").count() == codes.count()
    for code in codes:
        assert code.transfer_out.status == "approved" and code.transfer_out.type == "transfer_out"
        assert code.record.status == "transferring_out" and code.source_district_id == code.record.district_id
        assert code.expires_at > code.issued_at and code.used_at is None

    # The waiting queue: first collections of people without a record, and some changes; per district.
    waiting = Application.objects.filter(status__in=WAITING)
    assert waiting.exclude(type__in=["first_collection", "change"]).count() == 0
    without_record = people.filter(record__isnull=True)
    assert set(waiting.filter(type="first_collection").values_list("applicant_id", flat=True)) == set(
        without_record.values_list("pk", flat=True)
    )
    per_district = dict(waiting.values_list("district_id").annotate(n=Count("pk")))
    expected = Counter(people.get(pk=a.applicant_id).record.district_id for a in waiting.filter(type="change"))
    expected.update(BEIJING_UNITS[int(u.phone[3:]) % len(BEIJING_UNITS)] for u in without_record)
    assert per_district == dict(expected) and len(per_district) >= len(BEIJING_UNITS) - 2  # ~80 waiting over 18
    page = review_queue(user=reviewer, page_size=5)
    assert sum(page.counts.get(s, 0) for s in WAITING) == per_district["110105"]
    assert all(a.district_id == "110105" for a in page.results)
    assert waiting.filter(status="in_review", claimed_by__isnull=True).count() == 0
    assert waiting.filter(round=2).exists()  # rejected once, resubmitted
    for application in waiting.select_related("applicant"):
        assert application.applicant.date_joined <= application.created_at <= application.first_submitted_at
        assert application.submitted_at <= now and (application.claimed_at or now) <= now

    # Timelines: created, one submission per round, claim and decision of each decided round.
    kinds = {}
    for application_id, kind in ApplicationEvent.objects.values_list("application_id", "kind"):
        kinds.setdefault(application_id, Counter())[kind] += 1
    for application in Application.objects.all():
        seen = kinds[application.pk]
        assert seen["created"] == 1 and seen["submitted"] + seen["resubmitted"] == application.round
        if application.status == "approved":
            assert seen["approved"] == 1 and seen["claimed"] == application.round

    # Accounts: the record's ID number is the login name; one password hash, checked once here.
    assert all(r.user.id_number == r.id_number for r in records.select_related("user"))
    assert not without_record.exclude(id_number=None).exists()
    assert people.values("password").distinct().count() == 1
    assert authenticate(username=f"{PHONE_PREFIX}00000001", password=DEMO_PASSWORD) is not None

    # Credits: obligations for every record, computed from its current version; credits for a share.
    obligations = dict(CreditObligation.objects.values_list("record_id", "obliged_from"))
    assert set(obligations) == set(records.values_list("pk", flat=True))
    for record in records[:50]:
        assert obligations[record.pk] == obliged_from_data(current_data(record))
    with_credits = CreditRecord.objects.values("record_id").distinct().count()
    assert 0.2 * records.count() < with_credits < 0.4 * records.count()
    year = timezone.localdate().year
    assert set(CreditRecord.objects.values_list("year", flat=True)) == {year - 1, year}

    # Idempotent: a second run adds nobody and no rows.
    counts = (Application.objects.count(), RecordVersion.objects.count(), CreditRecord.objects.count())
    call_command("seed_demo", people=PEOPLE, batch=250)
    assert "新增 0 名" in capsys.readouterr().out
    assert (Application.objects.count(), RecordVersion.objects.count(), CreditRecord.objects.count()) == counts
    assert people.count() == PEOPLE


def test_seed_goes_on_from_where_it_stopped():
    """Batches commit in order: a second, bigger run continues the numbering with fresh ids."""
    call_command("seed_demo", people=120, batch=50)
    call_command("seed_demo", people=300, batch=50)
    phones = sorted(User.objects.filter(phone__startswith=PHONE_PREFIX).values_list("phone", flat=True))
    assert phones == [f"{PHONE_PREFIX}{i:08d}" for i in range(300)]
    assert Record.objects.count() == len(set(Record.objects.values_list("id_number", flat=True)))
    if connection.vendor == "postgresql":  # sequences moved past the ids given at insert
        user = User.objects.create(phone="13900000000")
        assert user.pk > max(User.objects.exclude(pk=user.pk).values_list("pk", flat=True))
