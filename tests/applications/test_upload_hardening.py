"""Issue 9 — uploads attacked: PDFs with active content, pages rendered to images, memory-heavy images,
metadata in JPEG segments, upload floods, and a storage that fails. Real bytes throughout."""

import datetime as dt
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from registry.applications.models import Attachment, UploadAttempt
from registry.audit.models import AuditEntry
from registry.core.errors import ServiceError
from tests import files
from tests.applications.conftest import post_file, upload
from tests.helpers import problem

pytestmark = pytest.mark.django_db


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def dark_share(png: bytes, box) -> float:
    """Share of pixels darker than 60 (of 255) inside box (left, top, right, bottom)."""
    image = Image.open(io.BytesIO(png)).convert("L").crop(box)
    histogram = image.histogram()
    return sum(histogram[:60]) / (image.width * image.height)


# --- Item 3: PDF active content ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(files.HOSTILE_PDFS))
def test_every_hostile_pdf_is_refused_and_nothing_is_stored(draft, person, _private_media, name):
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "diploma", files.hostile_pdf(name), f"{name}.pdf", ref=0)
    assert (info.value.code, info.value.status) == ("pdf_active_content", 400)
    assert info.value.message.startswith("PDF 中含有") and "重新生成" in info.value.message
    assert Attachment.objects.count() == 0
    assert stored_files(_private_media) == []


@pytest.mark.parametrize("name", sorted(files.HTML_IN_PDF))
def test_web_markup_inside_a_pdf_is_refused(draft, person, _private_media, name):
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "id_back", files.pdf_with_markup(files.HTML_IN_PDF[name]), "back.pdf")
    assert info.value.code == "unsupported_type" and "网页代码" in info.value.message
    assert stored_files(_private_media) == []


def test_a_harmless_goto_cycle_is_accepted(draft, person):
    """The walk visits each object once: a loop of /Next actions ends, and harmless actions pass."""
    attachment = upload(draft, person, "id_back", files.pdf_with_benign_action_cycle(), "back.pdf")
    assert attachment.content_type == "application/pdf" and len(attachment.pages) == 1


def test_a_scanned_pdf_is_accepted_and_its_pages_are_rendered_to_png(draft, person, _private_media):
    attachment = upload(draft, person, "diploma", files.scanned_pdf(pages=3), "scan.pdf", ref=0)
    assert len(attachment.pages) == 3
    names = {p.relative_to(_private_media).as_posix() for p in stored_files(_private_media)}
    assert names == {attachment.file.name} | {page["name"] for page in attachment.pages}
    assert all(page["name"].startswith(attachment.file.name[:-4] + "-p") for page in attachment.pages)
    first, second = ((_private_media / page["name"]).read_bytes() for page in attachment.pages[:2])
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    # The black rectangle drawn at (300, 400)–(940, 1000) on a 150-dpi page shows in the rendering.
    assert dark_share(first, (350, 450, 890, 950)) > 0.95
    assert dark_share(second, (350, 450, 890, 950)) < 0.3  # only the grey text lines there
    width, height = attachment.pages[0]["width"], attachment.pages[0]["height"]
    assert (abs(width - 1240) <= 2, abs(height - 1754) <= 2) == (True, True)


def test_a_pdf_with_more_pages_than_allowed_is_refused(draft, person, settings, _private_media):
    settings.UPLOAD_PDF_MAX_PAGES = 2
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "diploma", files.scanned_pdf(pages=3), "scan.pdf", ref=0)
    assert info.value.code == "too_many_pages" and "共 3 页，最多 2 页" in info.value.message
    assert stored_files(_private_media) == []


def test_a_hostile_pdf_over_http_is_a_problem(logged_in, draft):
    response = post_file(logged_in, draft.pk, "diploma", files.hostile_pdf("next_chain_javascript"), "d.pdf", ref=0)
    body = problem(response, 400, "pdf_active_content")
    assert body["errors"][0]["field"] == "file"


def test_pdf_is_a_sandboxed_download_and_its_pages_are_sandboxed_images(logged_in, draft, person):
    attachment = upload(draft, person, "diploma", files.scanned_pdf(pages=2), "scan.pdf", ref=0)
    detail = logged_in.get(f"/api/v1/me/applications/{draft.pk}").json()
    pages = next(a for a in detail["attachments"] if a["id"] == str(attachment.pk))["pages"]
    assert pages == [f"/api/v1/attachments/{attachment.pk}/pages/{n}" for n in (1, 2)]

    original = logged_in.get(f"/api/v1/attachments/{attachment.pk}/content")
    assert original.status_code == 200 and original["Content-Type"] == "application/pdf"
    assert original["Content-Disposition"].startswith("attachment;")
    assert original["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert original["X-Content-Type-Options"] == "nosniff"

    page = logged_in.get(pages[0])
    assert page.status_code == 200 and page["Content-Type"] == "image/png"
    assert page["Content-Disposition"].startswith("inline;")
    assert page["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert dark_share(b"".join(page.streaming_content), (350, 450, 890, 950)) > 0.95
    assert logged_in.get(f"/api/v1/attachments/{attachment.pk}/pages/3").status_code == 404
    assert logged_in.get(f"/api/v1/attachments/{attachment.pk}/pages/0").status_code == 404


def test_reviewers_see_page_images_and_only_their_district(api, client, submitted, chaoyang_reviewer, haidian_reviewer):
    diploma = submitted.attachments.get(kind="diploma")
    assert len(diploma.pages) == 1
    page_url = f"/api/v1/attachments/{diploma.pk}/pages/1"

    api.login(haidian_reviewer.phone)
    assert api.get(page_url).status_code == 404
    api.login(chaoyang_reviewer.phone)
    assert api.get(page_url).status_code == 200
    read = AuditEntry.objects.get(action="attachment.read", actor=chaoyang_reviewer)
    assert read.details["page"] == 1

    client.force_login(chaoyang_reviewer)
    html = client.get(f"/staff/review/{submitted.pk}/").content.decode()
    assert f'<img src="{page_url}"' in html
    assert f'href="/api/v1/attachments/{diploma.pk}/content" download' in html
    assert "application/pdf" not in html  # no <object> embedding the PDF any more


# --- Item 6: memory ----------------------------------------------------------------------------


def test_a_6300_square_png_is_refused_before_it_is_decoded(draft, person, _private_media):
    """The header claims 6300×6300 (39.7 Mpx) but holds only a few rows: decoding it would fail as
    corrupt_file, so image_too_large proves the size was judged from the header alone."""
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "id_front", files.png_header_only(6300, 6300), "front.png")
    assert (info.value.code, info.value.status) == ("image_too_large", 400)
    assert "6300×6300" in info.value.message
    assert stored_files(_private_media) == []


def test_the_issue_9_png_is_refused_over_http(logged_in, draft):
    data = files.big_white_png(6300, 6300)
    assert len(data) < 200 * 1024  # small on the wire, 119 MB decoded
    problem(post_file(logged_in, draft.pk, "id_front", data, "front.png"), 400, "image_too_large")


def test_a_phone_photo_of_a_certificate_is_accepted_and_stored_bounded(draft, person, _private_media):
    """12 Mpx (4032×3024), what phones produce: accepted. It is decoded at half scale (JPEG draft:
    2016×1512, a quarter of the memory) — a resize of the full decode would have given 2048×1536."""
    image = Image.effect_noise((4032, 3024), 20).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    attachment = upload(draft, person, "id_front", out.getvalue(), "front.jpg")
    assert (attachment.width, attachment.height) == (2016, 1512)
    assert Image.open(_private_media / attachment.file.name).size == (2016, 1512)


def test_a_large_png_scan_is_reduced_before_it_is_stored(draft, person, _private_media):
    """A 300-dpi A4 scan (2480×3508): stored with the longer side at UPLOAD_IMAGE_MAX_SIDE."""
    from PIL import ImageDraw

    scan = Image.new("RGB", (2480, 3508), (246, 244, 238))
    for y in range(300, 3200, 90):
        ImageDraw.Draw(scan).rectangle((300, y, 2180, y + 20), fill=(60, 60, 60))
    out = io.BytesIO()
    scan.save(out, format="PNG")
    attachment = upload(draft, person, "residence_proof", out.getvalue(), "scan.png")
    assert (attachment.width, attachment.height) == (1448, 2048)


# --- Item 9 (part): JPEG comment and APPn segments ------------------------------------------------


def test_jpeg_comment_and_app_segments_are_stripped(draft, person, _private_media):
    original = files.jpeg_with_comment_and_app_segments()
    assert {0xFE, 0xE1, 0xED, 0xEF} <= set(files.jpeg_segments(original))
    attachment = upload(draft, person, "id_front", original, "front.jpg")
    stored = (_private_media / attachment.file.name).read_bytes()
    assert b"SECRET" not in stored and b"zhangsan" not in stored
    markers = files.jpeg_segments(stored)
    assert 0xFE not in markers
    assert [m for m in markers if 0xE0 <= m <= 0xEF] == [0xE0]  # only the JFIF header


# --- Item 6: upload rate limit and the cap on "other" files --------------------------------------


def test_uploads_are_limited_per_account_per_hour(logged_in, api, draft, person, settings, valid_form):
    settings.UPLOAD_HOURLY_LIMIT = 3
    photo = files.photo_jpeg()
    assert post_file(logged_in, draft.pk, "photo", photo, "p.jpg").status_code == 201
    # Refused files count too: each one cost a decode.
    problem(post_file(logged_in, draft.pk, "id_front", files.truncated_jpeg(), "f.jpg"), 400, "corrupt_file")
    assert post_file(logged_in, draft.pk, "photo", photo, "p.jpg").status_code == 201
    refused = post_file(logged_in, draft.pk, "photo", photo, "p.jpg")
    body = problem(refused, 429, "rate_limited")
    assert 3500 <= int(refused["Retry-After"]) <= 3600 and "每小时最多上传 3 个文件" in body["detail"]
    assert draft.attachments.current().count() == 1

    # Another account is not affected.
    from registry.applications import services
    from tests.factories import UserFactory

    other = UserFactory(phone="13900139000")
    other_draft = services.application_create(applicant=other, type="first_collection")
    upload(other_draft, other, "photo", photo, "p.jpg")

    # An hour after the first upload, one more is allowed.
    UploadAttempt.objects.filter(user=person).update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert post_file(logged_in, draft.pk, "photo", photo, "p.jpg").status_code == 201


def test_other_materials_are_capped(draft, person, settings, _private_media):
    settings.UPLOAD_OTHER_MAX = 2
    for _ in range(2):
        upload(draft, person, "other", files.png_bytes(), "award.png")
    with pytest.raises(ServiceError) as info:
        upload(draft, person, "other", files.png_bytes(), "award.png")
    assert info.value.code == "too_many_attachments" and "最多 2 个文件" in info.value.message
    assert draft.attachments.current().filter(kind="other").count() == 2
    assert len(stored_files(_private_media)) == 2


# --- Item 13: storage failures -----------------------------------------------------------------


@pytest.fixture
def broken_storage(settings, tmp_path):
    """The real FileSystemStorage pointed below a regular file: every save fails with an OSError
    (NotADirectoryError), as an unmounted or read-only volume does — even for root."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "media"},
        },
    }


def test_a_failing_storage_answers_503_problem_and_writes_nothing(logged_in, draft, broken_storage, caplog):
    with caplog.at_level(logging.ERROR, logger="registry.storage"):
        response = post_file(logged_in, draft.pk, "photo", files.photo_jpeg(), "p.jpg")
    body = problem(response, 503, "storage_unavailable")
    assert "文件存储暂时不可用" in body["detail"]
    assert Attachment.objects.count() == 0
    failure = next(r for r in caplog.records if r.name == "registry.storage")
    assert failure.levelno == logging.ERROR and failure.exc_info is not None


def test_reading_from_a_failing_storage_answers_503_and_audits_no_read(
    api, submitted, chaoyang_reviewer, broken_storage
):
    # (fixtures in this order: the application is stored while the storage works, then it breaks)
    photo = submitted.attachments.get(kind="photo")
    api.login(chaoyang_reviewer.phone)
    problem(api.get(f"/api/v1/attachments/{photo.pk}/content"), 503, "storage_unavailable")
    assert not AuditEntry.objects.filter(action="attachment.read").exists()  # nothing was read


def test_storage_filling_up_between_pdf_pages_leaves_no_file_and_no_row(logged_in, draft, settings, _private_media):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.applications.storage_faults.FillingUpStorage",
            "OPTIONS": {"location": _private_media, "saves_before_full": 2},  # the PDF and page 1
        },
    }
    response = post_file(logged_in, draft.pk, "diploma", files.scanned_pdf(pages=3), "scan.pdf", ref=0)
    problem(response, 503, "storage_unavailable")
    assert Attachment.objects.count() == 0
    assert stored_files(_private_media) == []


def test_the_web_page_says_storage_is_unavailable(client, draft, person, broken_storage):
    client.force_login(person)
    response = client.post(
        f"/apply/{draft.pk}/materials/upload/",
        {"kind": "photo", "file": SimpleUploadedFile("p.jpg", files.photo_jpeg())},
        follow=True,
    )
    assert response.status_code == 200
    assert "标准证件照未上传：文件存储暂时不可用" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_pdfs_stored_before_the_upgrade_get_page_images_and_hostile_ones_are_reported(draft, person, _private_media):
    """Backfill: `render_pdf_pages` renders what older uploads lack and names the PDFs that today's
    check refuses (one of the 7 kinds that used to pass), so reviewers never need to open them."""
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    clean = upload(draft, person, "id_back", files.scanned_pdf(pages=2), "back.pdf")
    for page in clean.pages:
        default_storage.delete(page["name"])
    Attachment.objects.filter(pk=clean.pk).update(pages=[])
    name = default_storage.save("materials/zz/old.pdf", io.BytesIO(files.hostile_pdf("next_chain_javascript")))
    hostile = Attachment.objects.create(
        application=draft, kind="diploma", ref=0, file=name, original_name="d.pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, uploaded_by=person,
    )  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    call_command("render_pdf_pages", stdout=out, stderr=err)
    clean.refresh_from_db()
    hostile.refresh_from_db()
    assert len(clean.pages) == 2 and len(hostile.pages) == 1
    assert all((_private_media / p["name"]).is_file() for p in clean.pages + hostile.pages)
    assert f"{hostile.pk}: 按现行规则会被拒收（pdf_active_content）" in err.getvalue()
    assert str(clean.pk) not in err.getvalue()
    assert "已生成 2 个 PDF 的页面图片；其中 1 个" in out.getvalue()
    call_command("render_pdf_pages", stdout=out, stderr=err)  # nothing left to do
    assert "已生成 0 个" in out.getvalue().splitlines()[-1]


def test_a_bilevel_scan_is_resampled_in_greyscale_not_nearest_neighbour(draft, person, _private_media):
    """1-bit scans are common; resized as mode "1" they would lose thin strokes. Stored as greys."""
    scan = Image.new("1", (3508, 2480), 1)
    for x in range(200, 3300, 7):  # 1-px vertical strokes every 7 px: nearest-neighbour drops most
        scan.paste(0, (x, 200, x + 1, 2280))
    out = io.BytesIO()
    scan.save(out, format="PNG")
    attachment = upload(draft, person, "residence_proof", out.getvalue(), "scan.png")
    stored = Image.open(_private_media / attachment.file.name)
    assert (stored.mode, stored.size) == ("L", (2048, 1448))
    band = stored.crop((200, 200, 1800, 1200)).histogram()
    # Resampled, every stroke becomes a band of greys; nearest-neighbour leaves only 0 and 255.
    assert sum(band[20:236]) / sum(band) > 0.3
