"""Two accounts claiming one imported record at once, on two PostgreSQL connections: exactly one
wins; and one account claiming two records at once gets one."""

import pytest

from registry.audit.models import AuditEntry
from registry.core.errors import ServiceError
from registry.imports import claims
from registry.imports.models import ImportedPerson
from registry.imports.samples import sample_row
from registry.records.models import Record
from tests.factories import UserFactory
from tests.review.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_accounts_claim_one_record_exactly_one_wins(postgres, code_tables, rng, import_rows, sms_file):
    row = sample_row(rng, district="110105", phone="13811110001")
    import_rows([row])
    by_phone = UserFactory(phone="13811110001")  # the phone on the imported record
    by_sms = UserFactory(phone="13900000002")
    assert claims.claim_start(user=by_sms, id_number=row["id_number"]) == {"sms_sent_to": "138****0001"}
    code = sms_file.last_code("13811110001", "claim")

    outcomes = race(
        lambda: claims.claim_start(user=by_phone, id_number=row["id_number"]),
        lambda: claims.claim_confirm(user=by_sms, id_number=row["id_number"], sms_code=code),
    )

    winners = [value for kind, value in outcomes if kind == "ok"]
    [loser] = [value for kind, value in outcomes if kind == "error"]
    assert winners == [{"claimed": True}]
    assert isinstance(loser, ServiceError) and loser.code == "no_record" and loser.status == 404
    record = Record.objects.get(id_number=row["id_number"])
    assert record.user_id in (by_phone.pk, by_sms.pk)
    assert AuditEntry.objects.filter(action="record.claimed").count() == 1
    person = ImportedPerson.objects.get(record=record)
    assert person.claimed_via == ("phone" if record.user_id == by_phone.pk else "sms")
    loser_account = by_sms if record.user_id == by_phone.pk else by_phone
    loser_account.refresh_from_db()
    assert loser_account.id_number is None


def test_one_account_claims_two_records_at_once_gets_one(postgres, code_tables, rng, import_rows):
    first = sample_row(rng, district="110105", phone="13811110001")
    second = sample_row(rng, district="110108", phone="13811110001")
    import_rows([first, second])
    user = UserFactory(phone="13811110001")

    outcomes = race(
        lambda: claims.claim_start(user=user, id_number=first["id_number"]),
        lambda: claims.claim_start(user=user, id_number=second["id_number"]),
    )

    assert [kind for kind, _ in outcomes].count("ok") == 1
    [loser] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(loser, ServiceError) and loser.code == "already_has_record"
    assert Record.objects.filter(user=user).count() == 1
    assert ImportedPerson.objects.filter(claimed_at__isnull=False).count() == 1
