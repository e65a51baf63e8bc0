import datetime as dt
import random

import factory
from django.utils import timezone

from registry.accounts.models import Role, User
from registry.core import generators

_rng = random.Random(20261126)
PASSWORD = "Ceshi2026pass"


class UserFactory(factory.django.DjangoModelFactory):
    """UserFactory(), UserFactory(reviewer=True, district_codes=["110105"]), UserFactory(admin=True)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Faker("name", locale="zh_CN")
    role = Role.APPLICANT
    password = factory.django.Password(PASSWORD)

    class Params:
        reviewer = factory.Trait(role=Role.REVIEWER)
        admin = factory.Trait(role=Role.ADMIN, is_staff=True)
        collected = factory.Trait(id_number=factory.LazyFunction(lambda: generators.resident_id(_rng)))

    @factory.post_generation
    def district_codes(self, create, codes, **kwargs):
        if create and codes:
            self.districts.set(codes)


def collected_person(district: str = "110105", **user_fields) -> User:
    """A person with an approved record managed by `district` (written by record_apply, as an approval
    does): `collected_person()` is "another person" who already has a record here."""
    from registry.records.services import record_apply

    user = UserFactory(**user_fields)
    id_number = generators.resident_id(_rng)
    data = {"basic": {"name": user.name, "id_number": id_number}}
    record_apply(user=user, district_code=district, data=data, source="first_collection")
    user.refresh_from_db()
    return user


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application row in any status with its round, without form or files (fast) — for the rules
    that do not read the form: states, access, claim, reassign, reject, withdraw.

    ApplicationFactory()                                  a submitted first collection, 朝阳区 (110105)
    ApplicationFactory(district_id="110108")              another district's application
    ApplicationFactory(status="in_review", claimed_by=r)  claimed by reviewer r
    ApplicationFactory(draft=True)                        a draft (no district, no round)

    Approval reads the form: use tests.review.conftest.make_submitted for that."""

    class Meta:
        model = "applications.Application"
        skip_postgeneration_save = True

    applicant = factory.SubFactory(UserFactory)
    type = "first_collection"
    status = "submitted"
    district_id = "110105"
    round = 1
    submitted_at = factory.LazyFunction(timezone.now)
    first_submitted_at = factory.SelfAttribute("submitted_at")

    class Params:
        draft = factory.Trait(status="draft", district_id=None, round=0, submitted_at=None)

    @factory.post_generation
    def with_round(self, create, extracted, **kwargs):
        if create and self.round:
            self.rounds.create(number=self.round, form={}, district_id=self.district_id, submitted_at=self.submitted_at)

    @factory.post_generation
    def counted(self, create, extracted, **kwargs):
        """Written straight to the table, so counted here as a service would (applications.counts)."""
        if create:
            from registry.applications import counts

            counts.moved(None, counts.key_of(self))


class TransferCodeFactory(factory.django.DjangoModelFactory):
    """A valid transfer code of a freshly collected person whose record is 调出中.

    TransferCodeFactory()                                   another person's code: 朝阳区 → 河北 (130000)
    TransferCodeFactory(person=someone)                     someone's code (someone needs a record)
    TransferCodeFactory(district="130102", destination_region_id="110000")   a 河北 code claimable here
    """

    class Meta:
        model = "transfers.TransferCode"
        skip_postgeneration_save = True

    class Params:
        district = "110105"

    person = factory.LazyAttribute(lambda o: collected_person(o.district))
    record = factory.LazyAttribute(lambda o: o.person.record)
    code = factory.LazyFunction(lambda: _new_code())
    source_district_id = factory.LazyAttribute(lambda o: o.record.district_id)
    destination_region_id = "130000"
    issued_at = factory.LazyFunction(timezone.now)
    issued_by = factory.SubFactory(UserFactory, reviewer=True)
    expires_at = factory.LazyAttribute(lambda o: o.issued_at + dt.timedelta(days=90))

    @factory.post_generation
    def transferring_out(self, create, extracted, **kwargs):
        if create:
            type(self.record).objects.filter(pk=self.record_id).update(status="transferring_out")
            self.record.refresh_from_db()


def _new_code() -> str:
    from registry.transfers.services import new_code

    return new_code()
