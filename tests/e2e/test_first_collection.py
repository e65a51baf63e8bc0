"""An applicant registers and completes a first collection in one sitting, in Debian's chromium."""

import re

import pytest

from tests import files
from tests.applications.conftest import ID_NUMBER, valid_uscc
from tests.helpers import register_in_browser, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13912346666"


def missing_count(page) -> int:
    heading = page.inner_text("#missing h2")
    found = re.search(r"还缺 (\d+) 项", heading)
    return int(found.group(1)) if found else 0


def test_register_and_complete_a_first_collection(page, live_server, sms_file, tmp_path, code_tables):
    url = live_server.url
    register_in_browser(page, url, sms_file, PHONE, "Zhuce2026a")

    page.click("text=办理信息采集")
    page.click("button:has-text('开始首次采集')")

    # Step 1: basic information; a wrong ID number is flagged as it is typed
    page.wait_for_selector("h1:has-text('基本信息')")
    page.select_option("#f-category", "1")
    page.fill("#f-basic-name", "李明")
    page.fill("#f-basic-id_number", "110105199003070034")
    page.locator("#f-basic-id_number").blur()
    page.wait_for_selector("#err-basic-id_number:has-text('校验位不正确')")
    shot(page, "01-basic-inline-error")
    page.fill("#f-basic-id_number", ID_NUMBER)
    page.select_option("#f-basic-gender", "M")
    page.fill("#f-basic-birth_date", "1990-03-07")
    page.select_option("#f-basic-ethnicity", "01")
    page.select_option("#f-basic-political_status", "13")
    page.select_option("select[name='_province_basic.hukou_region']", "110000")
    page.wait_for_selector("#f-basic-hukou_region option[value='110105']", state="attached")
    page.select_option("#f-basic-hukou_region", "110105")
    page.fill("#f-basic-residence_address", "北京市朝阳区建国路1号")
    page.select_option("#f-basic-residence_district", "110105")
    page.wait_for_selector("#err-basic-id_number:text-is('')", state="attached")
    shot(page, "02-basic")
    page.click("button:has-text('保存，下一步')")

    # Step 2: education
    page.wait_for_selector("h1:has-text('学历')")
    page.click("button:has-text('增加一条学历')")
    page.select_option("#f-education-0-level", "bachelor")
    page.fill("#f-education-0-school", "中央财经大学")
    page.fill("#f-education-0-major", "会计学")
    page.fill("#f-education-0-start_date", "2008-09-01")
    page.fill("#f-education-0-graduation_date", "2012-07-01")
    page.fill("#f-education-0-diploma_number", "100341201205001234")
    shot(page, "03-education")
    page.click("button:has-text('保存，下一步')")

    # Step 3: qualifications
    page.wait_for_selector("h1:has-text('资格')")
    page.click("button:has-text('增加一条资格')")
    page.select_option("#f-qualifications-0-series", "accounting")
    page.select_option("#f-qualifications-0-level", "intermediate")
    page.select_option("#f-qualifications-0-obtained_by", "exam")
    page.fill("#f-qualifications-0-obtained_on", "2016-10-15")
    page.fill("#f-qualifications-0-certificate_number", "Z11010516000123")
    page.fill("#f-qualifications-0-authority", "财政部、人力资源社会保障部")
    shot(page, "04-qualifications")
    page.click("button:has-text('保存，下一步')")

    # Step 4: employment
    page.wait_for_selector("h1:has-text('工作单位')")
    page.select_option("#f-employment-status", "employed")
    page.fill("#f-employment-unit_name", "北京示例科技有限公司")
    page.fill("#f-employment-unit_uscc", valid_uscc())
    page.select_option("#f-employment-unit_type", "enterprise")
    page.select_option("#f-employment-unit_district", "110105")
    page.select_option("#f-employment-position", "accountant")
    page.fill("#f-employment-accounting_since", "2012-08-01")
    shot(page, "05-employment")
    page.click("button:has-text('保存，下一步')")

    # Step 5: materials — real files; the missing list shrinks with each upload
    page.wait_for_selector("h1:has-text('上传材料')")
    uploads = {
        "id_front": ("id_front.jpg", files.photo_jpeg(size=(600, 380), seed=4)),
        "id_back": ("id_back.pdf", files.pdf_bytes("ID back")),
        "photo": ("photo.jpg", files.photo_jpeg()),
        "diploma": ("diploma.pdf", files.pdf_bytes("Diploma")),
        "qualification_cert": ("cert.png", files.png_bytes()),
    }
    counts = [missing_count(page)]
    shot(page, "06-materials-empty")
    for kind, (name, data) in uploads.items():
        path = tmp_path / name
        path.write_bytes(data)
        section = page.locator(f"section.material[data-kind='{kind}']")
        section.locator("input[type=file]").set_input_files(str(path))
        section.locator("button[type=submit]").click()
        page.wait_for_selector("text=已上传")
        counts.append(missing_count(page))
    assert counts == [5, 4, 3, 2, 1, 0]
    assert page.locator("text=材料已齐全").is_visible()
    shot(page, "07-materials-complete")

    # Step 6: review and submit
    page.click("text=下一步：核对提交")
    page.wait_for_selector("text=可以提交")
    shot(page, "08-review")
    page.click("button:has-text('确认无误，提交审核')")
    page.wait_for_selector("[data-testid=status]:has-text('待审核')")
    assert "朝阳区财政局" in page.inner_text("main")
    shot(page, "09-submitted")
