import random

import factory

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
