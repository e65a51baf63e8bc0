"""Materials read back in the browser: the upload returns at once with the checks pending, the
results arrive on the materials page (HTMX polling), the submit page lists the warnings and submits
anyway, and the reviewer sees the checks and the highlighted recognised text beside each material."""

import pytest
from stdnum.cn import ric

from registry.applications import services
from tests import files
from tests import material_corpus as mc
from tests.applications.conftest import VALID_FORM, upload, valid_uscc
from tests.factories import UserFactory
from tests.helpers import shot

from .test_review_journey import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checks_arrive_on_the_page_and_the_reviewer_sees_them(
    browser, page, live_server, code_tables, reading_on, tmp_path
):
    url = live_server.url
    reading_on.MATERIAL_CHECKS = False  # the materials stored first are not read back
    person = UserFactory(phone="13911117777", name="李明")
    reviewer = UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    application = services.application_create(applicant=person, type="first_collection")
    form = {**VALID_FORM, "basic": {**VALID_FORM["basic"], "phone": person.phone}}
    form["employment"] = {**form["employment"], "unit_uscc": valid_uscc()}
    services.application_save_form(application=application, actor=person, form=form)
    upload(application, person, "id_back", files.pdf_bytes("ID back"), "back.pdf")
    upload(application, person, "photo", files.photo_jpeg(), "photo.jpg")
    upload(application, person, "diploma", files.pdf_bytes("Diploma"), "diploma.pdf", ref=0)
    upload(application, person, "degree", files.pdf_bytes("Degree"), "degree.pdf", ref=0)

    reading_on.MATERIAL_CHECKS = True  # from here on, stored materials are read back
    other = "11010519900307005"
    wrong = other + ric.calc_check_digit(other)  # checksum-valid, not the one typed in the form
    wrong_card = tmp_path / "id-front.jpg"
    wrong_card.write_bytes(mc.as_jpeg(mc.perspective(mc.id_card(id_number=wrong))))
    certificate = tmp_path / "certificate.jpg"
    certificate.write_bytes(mc.as_jpeg(mc.rotate(mc.certificate(), 2)))

    login(page, url, person.phone)
    page.goto(f"{url}/apply/{application.pk}/materials/")
    for kind, path in (("id_front", wrong_card), ("qualification_cert", certificate)):
        section = page.locator(f"section.material[data-kind='{kind}']")
        section.locator("form.upload:not(.reupload) input[type=file]").set_input_files(str(path))
        section.locator("form.upload:not(.reupload) button[type=submit]").click()
        page.wait_for_selector("text=已上传")
    # Back from the upload at once: the reading is still running (no OCR in the request) ...
    front = page.locator("section.material[data-kind='id_front']")
    assert (
        front.locator(".material-checks[data-pending=true]").count() + front.locator(".check[data-ok=false]").count()
        >= 1
    )
    shot(page, "01-uploaded-checks-pending")
    # ... and the results replace "正在检查…" when they arrive (HTMX polling)
    page.wait_for_selector("section.material[data-kind='id_front'] .check-bad[data-code=id_number]", timeout=90_000)
    page.wait_for_selector(
        "section.material[data-kind='qualification_cert'] .check-ok[data-code=certificate_number]", timeout=90_000
    )
    assert f"身份证照片上识别到的号码与您填写的不一致：识别为 {wrong}" in front.inner_text()
    assert front.locator("button:has-text('重新上传')").count() == 1
    front.scroll_into_view_if_needed()
    shot(page, "02-applicant-checks")

    page.click("text=下一步：核对提交")
    warnings = page.locator("#material-warnings")
    assert "身份证人像面" in warnings.inner_text() and f"识别为 {wrong}" in warnings.inner_text()
    shot(page, "03-submit-page-warnings")
    warnings.locator("button:has-text('仍然提交')").click()
    page.wait_for_selector("[data-testid=status]:has-text('待审核')")

    reviewer_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reviewer_page.screenshots = page.screenshots
    login(reviewer_page, url, reviewer.phone)
    reviewer_page.goto(f"{url}/staff/review/{application.pk}/")
    checks = reviewer_page.locator(".review-checks").first
    checks.wait_for()
    assert reviewer_page.locator(".review-checks .check-bad[data-code=id_number]").count() == 1
    assert reviewer_page.locator(f"mark.mark-bad:has-text('{wrong}')").count() == 1
    assert reviewer_page.locator("mark.mark-ok:has-text('Z11010516000123')").count() == 1
    reviewer_page.locator("mark.mark-bad").scroll_into_view_if_needed()
    shot(reviewer_page, "04-reviewer-checks")
