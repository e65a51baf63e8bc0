"""The applicant's web pages, through the test client (the browser journey is in tests/e2e)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.applications.models import Application
from tests import files
from tests.applications.conftest import ID_NUMBER, upload_all_materials
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_client(client, person):
    client.force_login(person)
    return client


def basic_post(**overrides):
    data = {
        "category": "1",
        "basic.name": "李明",
        "basic.id_type": "resident_id",
        "basic.id_number": ID_NUMBER,
        "basic.gender": "M",
        "basic.birth_date": "1990-03-07",
        "basic.ethnicity": "01",
        "basic.political_status": "13",
        "basic.phone": "13800138000",
        "basic.email": "",
        "basic.hukou_region": "110105",
        "basic.residence_address": "北京市朝阳区建国路1号",
        "basic.residence_district": "110105",
        "basic.local_social_insurance": "0",
    }
    data.update(overrides)
    return data


def test_start_a_first_collection_and_save_the_basic_step(person_client, person):
    assert "开始首次采集" in person_client.get("/apply/").content.decode()
    response = person_client.post("/apply/", {"type": "first_collection"})
    application = Application.objects.get(applicant=person)
    assert response["Location"] == f"/apply/{application.pk}/basic/"
    page = person_client.get(response["Location"]).content.decode()
    assert 'hx-post="/apply/' in page and "自动保存" in page
    response = person_client.post(f"/apply/{application.pk}/basic/", basic_post())
    assert response["Location"] == f"/apply/{application.pk}/education/"
    application.refresh_from_db()
    assert application.form["basic"]["id_number"] == ID_NUMBER and application.form["category"] == 1


def test_autosave_saves_and_reports_the_fields_problems_inline(person_client, person):
    application = Application.objects.create(applicant=person, type="first_collection")
    response = person_client.post(
        f"/apply/{application.pk}/basic/autosave/", basic_post(**{"basic.id_number": "110105199003070034"})
    )
    html = response.content.decode()
    assert "已自动保存" in html
    assert 'id="err-basic-id_number"' in html and "校验位不正确" in html
    application.refresh_from_db()
    assert application.form["basic"]["id_number"] == "110105199003070034"  # kept, even though wrong


def test_add_and_remove_repeatable_entries(person_client, person):
    application = Application.objects.create(applicant=person, type="first_collection")
    url = f"/apply/{application.pk}/education/"
    person_client.post(url, {"education.count": "0", "_add": "education"})
    person_client.post(url, {"education.count": "1", "education.0.school": "中央财经大学", "_add": "education"})
    application.refresh_from_db()
    assert [e["school"] for e in application.form["education"]] == ["中央财经大学", ""]
    person_client.post(url, {"education.count": "2", "education.0.school": "中央财经大学", "education.1.removed": "1"})
    application.refresh_from_db()
    assert len(application.form["education"]) == 1


def test_materials_page_lists_what_is_missing_and_shrinks(person_client, draft):
    page = person_client.get(f"/apply/{draft.pk}/materials/").content.decode()
    assert "还缺 6 项材料" in page
    response = person_client.post(
        f"/apply/{draft.pk}/materials/upload/",
        {"kind": "photo", "file": SimpleUploadedFile("photo.jpg", files.photo_jpeg())},
        follow=True,
    )
    assert "标准证件照已上传" in response.content.decode() and "还缺 5 项材料" in response.content.decode()
    refused = person_client.post(
        f"/apply/{draft.pk}/materials/upload/",
        {"kind": "id_front", "file": SimpleUploadedFile("front.jpg", files.truncated_jpeg())},
        follow=True,
    ).content.decode()
    assert "身份证人像面未上传" in refused and "损坏" in refused


def test_review_lists_problems_with_links_then_submit(person_client, draft, person):
    page = person_client.get(f"/apply/{draft.pk}/review/").content.decode()
    assert "处需要修改" in page and 'data-code="missing_attachment"' in page
    upload_all_materials(draft, person)
    page = person_client.get(f"/apply/{draft.pk}/review/").content.decode()
    assert "可以提交" in page
    response = person_client.post(f"/apply/{draft.pk}/submit/", follow=True)
    html = response.content.decode()
    assert 'data-testid="status">待审核' in html and "提交" in html
    assert person_client.get(f"/apply/{draft.pk}/basic/")["Location"] == f"/apply/{draft.pk}/"


def test_another_applicant_gets_404_on_every_page(client, submitted):
    client.force_login(UserFactory())
    for path in ["", "basic/", "materials/", "review/"]:
        assert client.get(f"/apply/{submitted.pk}/{path}").status_code == 404
    assert client.post(f"/apply/{submitted.pk}/withdraw/").status_code == 404


def test_region_options_cascade(person_client):
    html = person_client.get("/apply/regions/", {"province": "130000"}).content.decode()
    assert "长安区" in html and "市辖区" not in html


def test_record_page_and_export_link(person_client):
    html = person_client.get("/record/").content.decode()
    assert "还没有审核通过的人员信息" in html and "/api/v1/me/export" in html
