"""A district reviewer rejects, the applicant fixes the photo and resubmits, the reviewer approves;
a later change shows the reviewer what changed."""

import pytest

from registry.applications import services
from tests import files
from tests.applications.conftest import upload_all_materials
from tests.factories import UserFactory
from tests.helpers import login_in_browser as login
from tests.helpers import shot
from tests.review.conftest import make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reject_fix_resubmit_approve_then_change(browser, page, live_server, code_tables, tmp_path):
    url, folder = live_server.url, page.screenshots
    application = make_submitted(phone="13911119999", name="李明")
    reviewer = UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    make_submitted(district="110108", phone="13911118888", name="王芳", id_number="11010519491231002X")

    # The reviewer filters the queue and opens the application
    login(page, url, reviewer.phone)
    page.click("nav >> text=审核队列")
    page.fill("input[name=q]", "李明")
    # The filter is a GET of the next page: wait for it, not for the click (the rows counted right
    # after the click could be the old page's, or none while the new one loads).
    with page.expect_navigation(url=lambda address: "q=%E6%9D%8E%E6%98%8E" in address):
        page.click("button:has-text('筛选')")
    page.wait_for_selector("table.queue")
    assert page.locator("table.queue tbody tr").count() == 1
    assert "王芳" not in page.inner_text("table.queue")  # another district's applicant
    shot(page, "01-queue")
    page.click("table.queue >> text=李明")
    page.wait_for_selector("h1:has-text('李明')")
    page.click("button:has-text('受理')")
    page.wait_for_selector("text=已受理")
    page.check("input[name=reasons][value=photo_noncompliant]")
    page.fill("#comment", "照片背景不是纯白色，请重新拍摄。")
    shot(page, "02-reject")
    page.click("button:has-text('审核不通过')")
    page.wait_for_selector("text=已驳回")

    # The applicant sees the opinion, replaces the photo and resubmits
    applicant_context = browser.new_context(viewport={"width": 390, "height": 844})
    applicant = applicant_context.new_page()
    applicant.screenshots = folder
    login(applicant, url, "13911119999")
    applicant.goto(f"{url}/apply/")
    applicant.wait_for_selector("[data-testid=status]:has-text('审核不通过')")
    assert "照片不符合要求" in applicant.inner_text(".opinion")
    assert "照片背景不是纯白色" in applicant.inner_text(".opinion")
    shot(applicant, "03-applicant-sees-opinion")
    applicant.click("text=更换材料")
    photo = tmp_path / "new-photo.jpg"
    photo.write_bytes(files.photo_jpeg(seed=42))
    section = applicant.locator("section.material[data-kind='photo']")
    section.locator("input[type=file]").set_input_files(str(photo))
    section.locator("button[type=submit]").click()
    applicant.wait_for_selector("text=标准证件照已上传")
    applicant.click("text=下一步：核对提交")
    applicant.click("button:has-text('确认无误，提交审核')")
    applicant.wait_for_selector("[data-testid=status]:has-text('待审核')")
    shot(applicant, "04-resubmitted")

    # The reviewer approves the second round
    page.goto(f"{url}/staff/queue/")
    page.click("table.queue >> text=李明")
    assert "第 1 次" in page.inner_text("main") and "照片不符合要求" in page.inner_text("main")
    page.click("button:has-text('受理')")
    page.click("button:has-text('审核通过')")
    page.wait_for_selector("text=已通过")

    # The applicant's record page shows the approved data
    applicant.goto(f"{url}/record/")
    applicant.wait_for_selector("text=正常")
    assert "北京示例科技有限公司" in applicant.inner_text("main")
    shot(applicant, "05-record")

    # A later change: the reviewer sees a field-by-field diff
    applicant.goto(f"{url}/apply/")
    applicant.click("button:has-text('办理信息变更')")
    applicant.fill("#f-other-change_event_date", "2026-11-01")  # asked first, on the first step
    applicant.click("button:has-text('保存，下一步')")
    applicant.click("text=4 工作单位")
    applicant.fill("#f-employment-unit_name", "北京新单位有限公司")
    applicant.click("button:has-text('保存，下一步')")
    applicant.wait_for_selector("h1:has-text('上传材料')")
    change = application.applicant.applications.get(type="change")
    upload_all_materials(change, change.applicant)
    services.application_submit(application=change.__class__.objects.get(pk=change.pk), actor=change.applicant)
    page.goto(f"{url}/staff/review/{change.pk}/")
    row = page.locator("tr[data-field='employment.unit_name']")
    assert "北京示例科技有限公司" in row.inner_text() and "北京新单位有限公司" in row.inner_text()
    assert page.locator("tr[data-field='other.change_event_date']").count() == 1
    shot(page, "06-change-diff")
    applicant_context.close()
