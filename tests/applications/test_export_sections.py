"""“Download all my data” holds what the later apps keep about the person too — credits, notices,
verification tasks, integrity entries, what was read off their materials — and none of another's."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from registry.applications.export import personal_data_export
from registry.campaigns.models import Campaign, CampaignTarget
from registry.credits.models import CreditRecord
from registry.integrity.models import IntegrityEntry
from registry.material_checks.models import MaterialReading
from registry.notices.models import Notice, NoticeRecipient
from registry.records.models import Record
from tests.factories import UserFactory
from tests.people import collected

pytestmark = pytest.mark.django_db


def held_about(user, tag: str, admin) -> None:
    """One of each kind of row about `user`, each carrying `tag` so it can be told apart."""
    record = Record.objects.get(user=user)
    CreditRecord.objects.create(record=record, year=2025, subject="professional", credits=Decimal("12.5"),
                                source="provider", course=f"课程{tag}")  # fmt: skip
    notice = Notice.objects.create(title=f"通知{tag}", body="正文", audience={"kind": "all"}, audience_label="全部",
                                   publish_at=timezone.now(), published_at=timezone.now())  # fmt: skip
    NoticeRecipient.objects.create(notice=notice, user=user)
    campaign = Campaign.objects.create(name=f"核查{tag}", scope={"kind": "all"}, scope_label="全部",
                                       deadline=dt.date(2026, 12, 31), on_no_response="abnormal", created_by=admin)  # fmt: skip
    CampaignTarget.objects.create(campaign=campaign, record=record, user=user, district_id=record.district_id)
    IntegrityEntry.objects.create(record=record, kind="penalty", summary=f"事由{tag}", starts_on=dt.date(2026, 1, 1),
                                  district_id=record.district_id, created_by=admin)  # fmt: skip


def test_the_later_domains_are_in_my_export_and_nobody_elses_are(submitted, person):
    admin = UserFactory(admin=True)
    me, other = collected(name="张三"), collected(name="王五", district="110108")
    held_about(me, "甲", admin)
    held_about(other, "乙", admin)

    data = personal_data_export(user=me)
    assert [c["course"] for c in data["credits"]] == ["课程甲"] and data["credits"][0]["credits"] == "12.5"
    assert [n["title"] for n in data["notices"]] == ["通知甲"]
    assert [t["campaign"] for t in data["verification_tasks"]] == ["核查甲"]
    assert [e["summary"] for e in data["integrity_entries"]] == ["事由甲"]


def test_what_was_read_off_my_materials_is_in_my_export(submitted, person):
    mine = submitted.attachments.current().first()
    MaterialReading.objects.update_or_create(
        attachment=mine, defaults={"status": "done", "lines": [{"text": "会计专业技术资格证书"}]}
    )
    stranger = UserFactory()
    readings = {r["attachment"]: r["text"] for r in personal_data_export(user=person)["material_readings"]}
    assert readings[str(mine.pk)] == ["会计专业技术资格证书"]
    assert personal_data_export(user=stranger)["material_readings"] == []


def test_a_person_without_a_record_gets_empty_sections(db):
    data = personal_data_export(user=UserFactory())
    assert data["credits"] == data["credit_declarations"] == data["integrity_entries"] == []
    assert data["notices"] == data["verification_tasks"] == data["material_readings"] == []
