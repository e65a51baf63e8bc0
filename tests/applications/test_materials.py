"""Uploads with real bytes: every refusal has its code and leaves nothing stored."""

import io

import pytest
from PIL import Image

from registry.applications.materials import MaterialRejected, check_material, photo_background
from registry.applications.models import Attachment
from registry.core.errors import ServiceError
from tests import files
from tests.applications.conftest import upload

pytestmark = pytest.mark.django_db


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.mark.parametrize(
    ("kind", "make", "name", "code", "status"),
    [
        ("photo", files.png_bytes, "photo.jpg", "photo_not_jpeg", 400),
        ("photo", files.small_jpeg, "photo.jpg", "photo_too_small_bytes", 400),
        ("photo", lambda: files.photo_jpeg(size=(200, 300), quality=100), "photo.jpg", "photo_too_few_pixels", 400),
        ("photo", lambda: files.photo_jpeg(background=(200, 30, 30)), "photo.jpg", "photo_background", 400),
        ("photo", lambda: files.photo_jpeg(size=(500, 420), quality=100), "photo.jpg", "photo_not_portrait", 400),
        ("photo", files.truncated_jpeg, "photo.jpg", "corrupt_file", 400),
        ("id_front", files.truncated_jpeg, "front.jpg", "corrupt_file", 400),
        ("id_front", files.decompression_bomb_png, "front.png", "image_too_large", 400),
        ("photo", files.pdf_with_html_payload, "photo.jpg", "photo_not_jpeg", 400),
        ("id_front", files.pdf_with_html_payload, "front.jpg", "unsupported_type", 400),
        ("diploma", files.pdf_with_javascript, "diploma.pdf", "pdf_active_content", 400),
        ("id_front", lambda: b"GIF89a" + b"\x00" * 100, "front.gif", "unsupported_type", 400),
        ("id_front", lambda: b"%PDF-1.7\nnot really a pdf", "front.pdf", "corrupt_file", 400),
        ("id_front", files.large_file, "front.jpg", "file_too_large", 413),
    ],
)
def test_refused_uploads_have_their_code_and_store_nothing(
    draft, person, _private_media, kind, make, name, code, status
):
    ref = 0 if kind == "diploma" else None
    with pytest.raises(ServiceError) as info:
        upload(draft, person, kind, make(), name, ref=ref)
    assert (info.value.code, info.value.status) == (code, status)
    assert info.value.message  # a Chinese explanation, shown to the applicant
    assert Attachment.objects.count() == 0
    assert stored_files(_private_media) == []


def test_compliant_photo_and_pdf_diploma_are_accepted(draft, person, _private_media):
    photo = upload(draft, person, "photo", files.photo_jpeg(), "我的照片.jpg")
    diploma = upload(draft, person, "diploma", files.pdf_bytes(), "diploma.pdf", ref=0)
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 358, 441)
    assert photo.size > 30 * 1024
    assert diploma.content_type == "application/pdf" and diploma.ref == 0
    names = {p.name for p in stored_files(_private_media)}  # the photo, the PDF and its page image
    assert len(names) == 3 and all("photo" not in n and person.phone not in n for n in names)
    import hashlib

    assert hashlib.sha256(photo.file.open("rb").read()).hexdigest() == photo.sha256


def test_blue_background_is_accepted():
    checked = check_material("photo", files.photo_jpeg(background=(67, 142, 219)))
    assert photo_background(Image.open(io.BytesIO(checked.content))) == "blue"


def test_images_are_reencoded_rotated_and_stripped_of_metadata():
    original = files.jpeg_with_exif_rotation()
    assert b"secret location" in original
    checked = check_material("id_front", original)
    image = Image.open(io.BytesIO(checked.content))
    assert image.size == (380, 500)  # the EXIF rotation was applied to the pixels
    assert b"secret location" not in checked.content
    assert not image.getexif()


def test_wrong_ref_is_refused(draft, person):
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "diploma", files.pdf_bytes(), "d.pdf", ref=5)
    assert info.value.code == "invalid_ref"


def test_replacing_a_photo_before_submission_deletes_the_old_file(
    draft, person, _private_media, django_capture_on_commit_callbacks
):
    upload(draft, person, "photo", files.photo_jpeg(seed=1), "a.jpg")
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row is gone for good
        upload(draft, person, "photo", files.photo_jpeg(seed=2), "b.jpg")
    assert draft.attachments.current().filter(kind="photo").count() == 1
    assert Attachment.objects.count() == 1
    assert len(stored_files(_private_media)) == 1


def test_replacing_after_a_submitted_round_keeps_the_old_file_for_history(submitted, person, _private_media):
    from registry.applications.models import Application, ApplicationStatus

    Application.objects.filter(pk=submitted.pk).update(status=ApplicationStatus.REJECTED)
    submitted.refresh_from_db()
    old = submitted.attachments.current().get(kind="photo")
    upload(submitted, person, "photo", files.photo_jpeg(seed=3), "new.jpg")
    old.refresh_from_db()
    assert old.removed_at is not None and old.file.storage.exists(old.file.name)
    assert submitted.attachments.current().filter(kind="photo").count() == 1


def test_rejection_messages_say_what_is_wrong():
    with pytest.raises(MaterialRejected) as info:
        check_material("photo", files.photo_jpeg(size=(200, 300), quality=100))
    assert "200×300" in info.value.message and "295×413" in info.value.message
    with pytest.raises(MaterialRejected) as info:
        check_material("photo", files.photo_jpeg(background=(200, 30, 30)))
    assert "红色" in info.value.message
