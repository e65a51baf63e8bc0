"""Materials read back on generated images: the upload only schedules, the job reads, the API shows
`checks` (API.md "Attachments"), and a corrected form is judged again without reading the file."""

import pytest
from stdnum.cn import ric

from registry.applications import services
from registry.material_checks import services as checks_services
from registry.material_checks.models import MaterialReading, ReadingStatus
from tests import material_corpus as mc

from .conftest import upload


def checks(api, application, kind):
    body = api.get(f"/api/v1/me/applications/{application.pk}").json()
    (attachment,) = [a for a in body["attachments"] if a["kind"] == kind]
    return {c["code"]: c for c in attachment["checks"]}


def read(attachment):
    return checks_services.reading_run(attachment_id=str(attachment.pk))


@pytest.mark.django_db
def test_upload_only_schedules_and_the_job_fills_in_the_checks(
    reading_on, draft, person, logged_in, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment = upload(draft, person, "id_front", mc.as_jpeg(mc.id_card()), "front.jpg")
    assert len(callbacks) == 1  # the reading is dispatched after commit, not done in the request
    reading = MaterialReading.objects.get(attachment=attachment)
    assert reading.status == ReadingStatus.PENDING and reading.lines == []
    pending = checks(logged_in, draft, "id_front")
    assert {c["ok"] for c in pending.values()} == {None}
    assert set(pending) == {"id_number", "id_name", "sharpness", "exposure"}

    assert read(attachment) == ReadingStatus.DONE
    assert read(attachment) is None  # idempotent: a second run finds nothing pending
    done = checks(logged_in, draft, "id_front")
    assert {code: c["ok"] for code, c in done.items()} == {
        "id_number": True,
        "id_name": True,
        "sharpness": True,
        "exposure": True,
    }
    assert done["id_number"]["found"] == "110105199003070033"
    text = " ".join(line["text"] for line in MaterialReading.objects.get(attachment=attachment).lines)
    assert "110105199003070033" in text and "李明" in text  # the recognised lines are kept with the material

    # The applicant corrects the form: judged again at once from the stored lines, no new reading.
    form = dict(draft.form)
    other = "11010519900307005"
    form["basic"] = {**form["basic"], "id_number": other + ric.calc_check_digit(other), "name": "李鸣"}
    services.application_save_form(application=draft, actor=person, form=form)
    wrong = checks(logged_in, draft, "id_front")
    assert wrong["id_number"]["ok"] is False and wrong["id_number"]["found"] == "110105199003070033"
    assert "身份证照片上识别到的号码与您填写的不一致：识别为 110105199003070033" in wrong["id_number"]["message"]
    assert wrong["id_name"]["ok"] is False and wrong["id_name"]["found"] == "李明"


@pytest.mark.django_db
def test_a_certificate_whose_number_differs_from_the_form_is_flagged(reading_on, draft, person, logged_in):
    card = mc.jpeg_noise(mc.rotate(mc.certificate(number="Z11010516000128"), 3))
    read(upload(draft, person, "qualification_cert", mc.as_jpeg(card), "cert.jpg", ref=0))
    check = checks(logged_in, draft, "qualification_cert")["certificate_number"]
    assert check["ok"] is False and check["found"] == "Z11010516000128"
    assert "Z11010516000123" in check["message"]


@pytest.mark.django_db
def test_a_blurred_or_dark_picture_is_flagged(reading_on, draft, person, logged_in):
    back = mc.blur(mc.id_card(), 4)  # the 国徽面 is not OCR'd: only legibility
    read(upload(draft, person, "id_back", mc.as_jpeg(back), "back.jpg"))
    result = checks(logged_in, draft, "id_back")
    assert result["sharpness"]["ok"] is False
    read(upload(draft, person, "id_back", mc.as_jpeg(mc.darken(mc.id_card(), 0.25)), "back.jpg"))
    assert checks(logged_in, draft, "id_back")["exposure"]["ok"] is False


@pytest.mark.django_db
def test_photo_needs_exactly_one_centred_face(reading_on, draft, person, logged_in):
    read(upload(draft, person, "photo", mc.as_jpeg(mc.portrait(), quality=97), "photo.jpg"))
    assert checks(logged_in, draft, "photo")["face"]["ok"] is True
    read(upload(draft, person, "photo", mc.as_jpeg(mc.portrait(face=False), quality=97), "photo.jpg"))
    face = checks(logged_in, draft, "photo")["face"]
    assert face["ok"] is False and "没有检测到人脸" in face["message"]
    read(upload(draft, person, "photo", mc.as_jpeg(mc.portrait(offset=(0.22, 0.0)), quality=97), "photo.jpg"))
    assert "不在照片中央" in checks(logged_in, draft, "photo")["face"]["message"]


@pytest.mark.django_db
def test_a_pdf_with_its_own_text_is_read_without_ocr(reading_on, draft, person, logged_in):
    attachment = upload(draft, person, "diploma", diploma_pdf(), "diploma.pdf", ref=0)
    read(attachment)
    assert MaterialReading.objects.get(attachment=attachment).source == "pdf_text"
    result = checks(logged_in, draft, "diploma")
    assert result["diploma_number"]["ok"] is True and result["school"]["ok"] is True


@pytest.mark.django_db
def test_without_ocr_models_the_text_checks_say_not_checked(reading_on, draft, person, logged_in, tmp_path):
    reading_on.MATERIAL_CHECKS_OCR_MODELS = str(tmp_path / "no-models")  # loading the engine fails for real
    read(upload(draft, person, "id_front", mc.as_jpeg(mc.id_card()), "front.jpg"))
    result = checks(logged_in, draft, "id_front")
    assert result["id_number"]["ok"] is None and result["id_number"]["message"].startswith(
        "未检查：文字识别组件无法加载"
    )
    assert result["sharpness"]["ok"] is True  # what needs no model still runs


@pytest.mark.django_db
def test_switched_off_nothing_is_scheduled_and_checks_are_empty(draft, person, logged_in):
    attachment = upload(draft, person, "id_front", mc.as_jpeg(mc.id_card()), "front.jpg")
    assert not MaterialReading.objects.filter(attachment=attachment).exists()
    assert checks(logged_in, draft, "id_front") == {}


def diploma_pdf() -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("wqy", mc.FONT, subfontIndex=0))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont("wqy", 16)
    pdf.drawString(100, 750, "毕业证书")
    pdf.drawString(100, 700, "学校名称：中央财经大学")
    pdf.drawString(100, 650, "证书编号：100341201205001234")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
