"""People with approved records for notices, campaigns and integrity tests, built through
records.record_apply (the service review's approval calls)."""

import copy
import random

from registry.core import generators
from registry.records.services import record_apply
from tests.factories import UserFactory

_rng = random.Random(13)


def collected(
    *, district: str = "110105", levels=("intermediate",), series: str = "accounting", phone=None, name="李明"
):
    """An applicant with an approved record managed by `district`, holding qualifications at `levels`."""
    from registry.core.validators import validate_resident_id
    from tests.applications.conftest import VALID_FORM, valid_uscc

    user = UserFactory(**({"phone": phone} if phone else {}), name=name)
    data = copy.deepcopy(VALID_FORM)
    template = data["qualifications"][0]
    data["qualifications"] = [{**template, "level": level, "series": series} for level in levels]
    id_number = generators.resident_id(_rng)
    resident = validate_resident_id(id_number)
    data["basic"].update(
        name=name,
        phone=user.phone,
        id_number=id_number,
        birth_date=resident.birth_date.isoformat(),
        gender=resident.gender,
    )
    data["employment"].update(unit_district=district, unit_uscc=valid_uscc())
    record_apply(user=user, district_code=district, data=data, source="first_collection")
    user.refresh_from_db()
    return user
