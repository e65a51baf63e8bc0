import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.applications import services
from tests import files
from tests.factories import UserFactory

ID_NUMBER = "110105199003070033"  # male, born 1990-03-07, 朝阳区 — checksum-valid

VALID_FORM = {
    "category": 1,
    "basic": {
        "name": "李明",
        "gender": "M",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "birth_date": "1990-03-07",
        "ethnicity": "01",
        "political_status": "13",
        "phone": "",
        "email": "liming@example.com",
        "hukou_region": "110105",
        "residence_address": "北京市朝阳区建国路1号",
        "residence_district": "110105",
    },
    "education": [
        {
            "level": "bachelor",
            "school": "中央财经大学",
            "major": "会计学",
            "start_date": "2008-09-01",
            "graduation_date": "2012-07-01",
            "diploma_number": "100341201205001234",
            "degree": "bachelor",
            "degree_number": "1003442012001234",
            "overseas": False,
        }
    ],
    "qualifications": [
        {
            "series": "accounting",
            "level": "intermediate",
            "obtained_by": "exam",
            "obtained_on": "2016-10-15",
            "certificate_number": "Z11010516000123",
            "authority": "财政部、人力资源社会保障部",
        }
    ],
    "practicing": [],
    "employment": {
        "status": "employed",
        "unit_name": "北京示例科技有限公司",
        "unit_uscc": "91110105MA01ABCD3X",
        "unit_type": "enterprise",
        "unit_district": "110105",
        "department": "财务部",
        "position": "accountant",
        "accounting_since": "2012-08-01",
        "doing_accounting": True,
    },
    "work_history": [],
    "other": {"party_member": False, "remarks": ""},
}


def valid_uscc() -> str:
    from stdnum.cn import uscc

    body = "91110105MA01ABCD3"
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def valid_form():
    form = copy.deepcopy(VALID_FORM)
    form["employment"]["unit_uscc"] = valid_uscc()
    return form


def upload(application, user, kind, data, name, ref=None):
    return services.attachment_add(
        application=application, actor=user, kind=kind, ref=ref, uploaded=SimpleUploadedFile(name, data)
    )


def post_file(api, application_id, kind, data, name, ref=None):
    """Upload a material over the API as the logged-in applicant (`logged_in`)."""
    body = {"kind": kind, "file": SimpleUploadedFile(name, data)}
    if ref is not None:
        body["ref"] = ref
    return api.client.post(
        f"/api/v1/me/applications/{application_id}/attachments", body, HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )


@pytest.fixture
def logged_in(api, person):
    api.login(person.phone)
    return api


def upload_all_materials(application, user):
    upload(application, user, "id_front", files.photo_jpeg(size=(600, 380)), "front.jpg")
    upload(application, user, "id_back", files.pdf_bytes("ID back"), "back.pdf")
    upload(application, user, "photo", files.photo_jpeg(), "photo.jpg")
    upload(application, user, "diploma", files.pdf_bytes("Diploma"), "diploma.pdf", ref=0)
    upload(application, user, "degree", files.pdf_bytes("Degree"), "degree.pdf", ref=0)
    upload(application, user, "qualification_cert", files.png_bytes(), "cert.png", ref=0)


@pytest.fixture
def person(db):
    return UserFactory(phone="13800138000")


@pytest.fixture
def draft(person, valid_form):
    application = services.application_create(applicant=person, type="first_collection")
    valid_form["basic"]["phone"] = person.phone
    return services.application_save_form(application=application, actor=person, form=valid_form)


@pytest.fixture
def ready(draft, person):
    upload_all_materials(draft, person)
    return draft


@pytest.fixture
def submitted(ready, person):
    return services.application_submit(application=ready, actor=person)
