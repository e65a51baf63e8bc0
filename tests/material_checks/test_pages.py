"""The checks on the pages: the applicant's materials page and its polling endpoint (own materials
only), the submit page's warnings with a one-click submit anyway, the reviewer's detail (API and page)."""

import pytest

from registry.applications import services
from registry.material_checks import services as checks_services
from tests import material_corpus as mc
from tests.applications.conftest import upload_all_materials
from tests.factories import UserFactory

from .conftest import upload


@pytest.fixture
def blurred_back(draft, person, reading_on):
    """A complete application whose ID back is blurred (a legibility warning; no OCR needed); the
    other materials were stored while the checks were off."""
    reading_on.MATERIAL_CHECKS = False
    upload_all_materials(draft, person)
    reading_on.MATERIAL_CHECKS = True
    attachment = upload(draft, person, "id_back", mc.as_jpeg(mc.blur(mc.id_card(), 4)), "back.jpg")
    return attachment


@pytest.mark.django_db
def test_polling_shows_pending_then_the_result_and_only_to_the_owner(client, draft, person, blurred_back):
    client.force_login(person)
    url = f"/apply/{draft.pk}/materials/{blurred_back.pk}/checks/"
    pending = client.get(url).content.decode()
    assert "正在检查…" in pending and 'hx-trigger="load delay:2s"' in pending
    checks_services.reading_run(attachment_id=str(blurred_back.pk))
    done = client.get(url).content.decode()
    assert "hx-get" not in done  # finished: the polling stops
    assert 'data-code="sharpness" data-ok="false"' in done and "重新上传" in done
    page = client.get(f"/apply/{draft.pk}/materials/").content.decode()
    assert "图片模糊" in page

    client.force_login(UserFactory(phone="13900009999"))  # a second person: not theirs → 404
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_submit_page_lists_warnings_and_submits_anyway(client, draft, person, blurred_back):
    checks_services.reading_run(attachment_id=str(blurred_back.pk))
    client.force_login(person)
    page = client.get(f"/apply/{draft.pk}/review/").content.decode()
    assert 'id="material-warnings"' in page and "身份证国徽面" in page and "图片模糊" in page
    assert "已核对，仍然提交" in page
    response = client.post(f"/apply/{draft.pk}/submit/", {"despite_warnings": "1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"  # a warning never blocks


@pytest.mark.django_db
def test_reviewer_sees_the_checks_in_the_api_and_on_the_page(
    api, client, draft, person, blurred_back, chaoyang_reviewer, haidian_reviewer
):
    checks_services.reading_run(attachment_id=str(blurred_back.pk))
    services.application_submit(application=draft, actor=person)
    api.login(chaoyang_reviewer.phone)
    body = api.get(f"/api/v1/review/applications/{draft.pk}").json()
    (back,) = [a for a in body["attachments"] if a["kind"] == "id_back"]
    assert {c["code"]: c["ok"] for c in back["checks"]} == {"sharpness": False, "exposure": True}
    others = [a for a in body["attachments"] if a["kind"] != "id_back"]
    assert all(a["checks"] == [] for a in others)  # stored while checks were off: nothing to show

    client.force_login(chaoyang_reviewer)
    page = client.get(f"/staff/review/{draft.pk}/").content.decode()
    assert 'class="material-checks review-checks"' in page and "图片模糊" in page

    api.login(haidian_reviewer.phone)  # another district's reviewer sees nothing of it
    assert api.get(f"/api/v1/review/applications/{draft.pk}").status_code == 404


@pytest.mark.django_db
def test_a_change_application_keeps_the_readings_of_the_copied_materials(
    api, draft, person, blurred_back, chaoyang_reviewer
):
    from registry.material_checks.models import MaterialReading

    checks_services.reading_run(attachment_id=str(blurred_back.pk))
    services.application_submit(application=draft, actor=person)
    api.login(chaoyang_reviewer.phone)
    api.post(f"/api/v1/review/applications/{draft.pk}/claim")
    assert api.post(f"/api/v1/review/applications/{draft.pk}/decision", {"decision": "approve"}).status_code == 200

    change = services.application_create(applicant=person, type="change")
    (copy,) = change.attachments.filter(kind="id_back")
    reading = MaterialReading.objects.get(attachment=copy)
    assert reading.status == "done" and reading.metrics == MaterialReading.objects.get(attachment=blurred_back).metrics
    # no second reading of the same bytes; copies of materials never read (stored while off) are scheduled
    pending = set(MaterialReading.objects.filter(status="pending").values_list("attachment__kind", flat=True))
    assert "id_back" not in pending and "photo" in pending


@pytest.mark.django_db
def test_a_blank_page_is_called_blank_once_not_blurred_bright_and_textless_twice(client, draft, person, reading_on):
    """A blank scan of the ID card's front: no text for the ID number nor for the name (the same words
    twice in the checks), a flat picture whose sharpness and exposure mean nothing. The submit page
    says it once each: the page is blank, and no text was found. A readable ID back beside it keeps
    its own checks."""
    import io

    from PIL import Image

    reading_on.MATERIAL_CHECKS = False
    upload_all_materials(draft, person)
    reading_on.MATERIAL_CHECKS = True
    buffer = io.BytesIO()
    Image.new("RGB", (1400, 900), (250, 250, 248)).save(buffer, "JPEG", quality=90)
    blank = upload(draft, person, "id_front", buffer.getvalue(), "front.jpg")
    blurred = upload(draft, person, "id_back", mc.as_jpeg(mc.blur(mc.id_card(), 4)), "back.jpg")
    for attachment in (blank, blurred):
        checks_services.reading_run(attachment_id=str(attachment.pk))

    client.force_login(person)
    page = client.get(f"/apply/{draft.pk}/review/").content.decode()
    warnings = page[page.index('id="material-warnings"') :]
    assert warnings.count("页面是空白的") == 1
    assert warnings.count("未能从材料中识别出文字") == 1
    assert warnings.count("图片模糊") == 1  # the ID back's, not the blank page's
    assert "图片过亮" not in warnings
