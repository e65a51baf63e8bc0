"""People with approved records for notices, campaigns and integrity tests, built through
records.record_apply (the service review's approval calls)."""

import copy
import datetime as dt
import random

from registry.core import generators
from registry.records.services import record_apply
from tests.factories import UserFactory

_rng = random.Random(13)
# Born by the end of 1990, so that VALID_FORM's dates stay plausible (accounting since 2012-08-01
# needs 16 years of age, the qualification of 2016-10-15 needs 18). generators.resident_id's own
# range runs to 2003: one draw in seven was too young, and a change submitted from that record
# failed with implausible_date — in whichever test got that draw of this process-wide generator,
# that is depending on which tests ran before (the integrity ban test run alone got draw 2).
_BORN_FROM, _BORN_DAYS = dt.date(1960, 1, 1), (dt.date(1990, 12, 31) - dt.date(1960, 1, 1)).days


def collected_form(
    *,
    district: str = "110105",
    levels=("intermediate",),
    series: str = "accounting",
    phone: str = "",
    name: str = "李明",
    email: str | None = None,
    rng: random.Random = _rng,
) -> dict:
    """The approved form `collected` writes: VALID_FORM with a drawn ID number (and its birth date
    and gender), the qualifications at `levels`, the unit in `district`; `email` (None: VALID_FORM's
    liming@example.com, "": none)."""
    from registry.core.validators import validate_resident_id
    from tests.applications.conftest import VALID_FORM, valid_uscc

    data = copy.deepcopy(VALID_FORM)
    template = data["qualifications"][0]
    data["qualifications"] = [{**template, "level": level, "series": series} for level in levels]
    birth = _BORN_FROM + dt.timedelta(days=rng.randrange(_BORN_DAYS + 1))
    id_number = generators.resident_id(rng, birth_date=birth)
    resident = validate_resident_id(id_number)
    data["basic"].update(
        name=name,
        phone=phone,
        id_number=id_number,
        birth_date=resident.birth_date.isoformat(),
        gender=resident.gender,
    )
    if email is not None:
        data["basic"]["email"] = email
    data["employment"].update(unit_district=district, unit_uscc=valid_uscc())
    return data


def collected(
    *,
    district: str = "110105",
    levels=("intermediate",),
    series: str = "accounting",
    phone=None,
    name="李明",
    email: str | None = None,
):
    """An applicant with an approved record managed by `district`, holding qualifications at `levels`
    (`email`: the record's address, see collected_form)."""
    user = UserFactory(**({"phone": phone} if phone else {}), name=name)
    data = collected_form(district=district, levels=levels, series=series, phone=user.phone, name=name, email=email)
    record_apply(user=user, district_code=district, data=data, source="first_collection")
    user.refresh_from_db()
    return user
