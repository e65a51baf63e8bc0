import pytest

from registry.records.services import record_apply
from tests.factories import UserFactory


@pytest.fixture
def collected_person():
    """An applicant with an approved record managed by 朝阳区 (110105)."""
    user = UserFactory(phone="13700000001")
    record_apply(
        user=user,
        district_code="110105",
        data={"basic": {"name": "王会计", "id_number": "11010519491231002X"}},
        source="first_collection",
    )
    user.refresh_from_db()
    return user
