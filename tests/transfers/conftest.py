import copy

import pytest

from registry.records.services import record_apply
from tests.applications.conftest import VALID_FORM, draft, person, ready, submitted, valid_form, valid_uscc  # noqa: F401
from tests.factories import UserFactory
from tests.review.conftest import chaoyang_app  # noqa: F401

HEBEI = "130102"  # 石家庄市长安区


@pytest.fixture
def hebei_reviewer(db):
    return UserFactory(reviewer=True, district_codes=[HEBEI], name="长安区审核员")


@pytest.fixture
def hebei_person(db):
    """Collected in 河北 (长安区), now moving to 北京."""
    user = UserFactory(phone="13633330000")
    data = copy.deepcopy(VALID_FORM)
    data["basic"].update(phone=user.phone, hukou_region=HEBEI, residence_district="")
    data["employment"].update(unit_uscc=valid_uscc(), unit_district=HEBEI, unit_name="石家庄示例有限公司")
    record_apply(user=user, district_code=HEBEI, data=data, source="first_collection")
    user.refresh_from_db()
    return user
