import pytest

from registry.applications import services
from tests.applications.conftest import draft, person, ready, submitted, upload_all_materials, valid_form  # noqa: F401
from tests.factories import UserFactory


def make_submitted(
    *, district="110105", phone=None, name="李明", id_number="110105199003070033", cert="Z11010516000123", form=None
):
    """A submitted first collection by a fresh applicant, managed by `district`."""
    import copy

    from tests.applications.conftest import VALID_FORM, valid_uscc

    user = UserFactory(**({"phone": phone} if phone else {}))
    data = copy.deepcopy(form or VALID_FORM)
    data["employment"]["unit_uscc"] = valid_uscc()
    data["employment"]["unit_district"] = district
    from registry.core.validators import validate_resident_id

    resident = validate_resident_id(id_number)
    data["basic"].update(
        phone=user.phone,
        name=name,
        id_number=id_number,
        birth_date=resident.birth_date.isoformat(),
        gender=resident.gender,
    )
    data["qualifications"][0]["certificate_number"] = cert
    application = services.application_create(applicant=user, type="first_collection")
    application = services.application_save_form(application=application, actor=user, form=data)
    upload_all_materials(application, user)
    return services.application_submit(application=application, actor=user)


@pytest.fixture
def chaoyang_app(db):
    return make_submitted()


@pytest.fixture
def haidian_app(db):
    from stdnum.cn import ric

    body = "11010819850612004"
    return make_submitted(
        district="110108", name="王芳", id_number=body + ric.calc_check_digit(body + "0"), cert="Z11010816000999"
    )
