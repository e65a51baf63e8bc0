"""Pages that speak to people, on a 390 px phone and a 1366 px desktop: the change diff in Chinese
labels, a wrong ID number stopped on save, the whole form before submitting, the staff queue on a
phone. Screenshots in test-artifacts/e2e/<test>/."""

import copy
import re

import pytest

from registry.applications import services
from registry.applications.models import Application
from registry.review import services as review
from tests import files
from tests.applications.conftest import ID_NUMBER, VALID_FORM, upload, upload_all_materials, valid_uscc
from tests.e2e.conftest import ARTIFACTS, watch_csp
from tests.factories import UserFactory
from tests.helpers import login_in_browser as login
from tests.helpers import shot
from tests.review.conftest import make_submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [390, 1366]


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def sized(browser, request):
    """A page at a phone's or a desktop's width, screenshots in its own folder."""
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900}, locale="zh-CN")
    page = context.new_page()
    violations = watch_csp(page)
    page.set_default_timeout(10_000)
    page.screenshots = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    page.screenshots.mkdir(parents=True, exist_ok=True)
    page.width = width
    yield page
    context.close()
    assert not violations, violations


WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-scroll'))
    .map(el => el.tagName + '.' + el.className + ': ' + (el.innerText || '').slice(0, 30))"""


def no_sideways_scroll(page) -> bool:
    """Nothing on the page is wider than the screen (a table may scroll inside its own box)."""
    wider = page.evaluate(WIDER_THAN_SCREEN)
    assert not wider, wider
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def approve(application):
    reviewer = UserFactory(reviewer=True, district_codes=[application.district_id])
    review.review_claim(application=application, actor=reviewer)
    return review.review_decide(
        application=Application.objects.get(pk=application.pk), actor=reviewer, decision="approve"
    )


def test_change_diff_reads_in_chinese(sized, live_server, code_tables):
    page, url = sized, live_server.url
    form = copy.deepcopy(VALID_FORM)
    form["employment"]["position"] = "supervisor"
    first = approve(make_submitted(form=form))
    person = first.applicant
    change = services.application_create(applicant=person, type="change")
    data = change.form
    data["employment"]["position"] = "head"
    data["employment"]["unit_district"] = "110108"
    data["education"].append(
        {
            "level": "college",
            "school": "北京财贸职业学院",
            "major": "会计",
            "start_date": "2005-09-01",
            "graduation_date": "2008-07-01",
            "diploma_number": "128581200806000321",
            "degree": "none",
        }
    )
    data["other"]["change_event_date"] = "2026-11-01"
    change = services.application_save_form(application=change, actor=person, form=data)
    upload_all_materials(change, person)
    upload(change, person, "diploma", files.pdf_bytes("Diploma 2"), "diploma2.pdf", ref=1)
    change = services.application_submit(application=change, actor=person)
    haidian = UserFactory(reviewer=True, district_codes=["110108"], name="海淀审核员")

    login(page, url, haidian.phone)
    page.goto(f"{url}/staff/review/{change.pk}/")
    diff = page.locator("section.diff")
    position = diff.locator("tr[data-field='employment.position']").inner_text()
    assert "职务（岗位）" in position and "会计主管" in position and "会计机构负责人" in position
    district = diff.locator("tr[data-field='employment.unit_district']").inner_text()
    assert "单位所在区" in district and "朝阳区" in district and "海淀区" in district
    school = diff.locator("tr[data-field='education.1.school']").inner_text()
    assert "学历（第2条）：毕业院校" in school and "北京财贸职业学院" in school
    text = diff.inner_text()
    assert "employment." not in text and "supervisor" not in text and "110108" not in text
    assert diff.locator("tbody tr").first.get_attribute("data-field") == "other.change_event_date"  # asked first
    versions = page.locator("[data-version='1']").inner_text()
    assert "首次采集" in versions and "朝阳区" in versions and "first_collection" not in versions
    # the number typed for the second diploma is beside that diploma
    assert "128581200806000321" in page.locator("#material-diploma-1").inner_text()
    diff.scroll_into_view_if_needed()
    shot(page, f"01-change-diff-{page.width}")
    if page.width < 600:
        assert no_sideways_scroll(page)


def test_wrong_id_number_is_shown_on_save_and_the_next_step_stays_open(sized, live_server, code_tables):
    page, url = sized, live_server.url
    person = UserFactory()
    login(page, url, person.phone)
    page.goto(f"{url}/apply/")
    page.click("button:has-text('开始首次采集')")
    page.wait_for_selector("h1:has-text('基本信息')")
    page.fill("#f-basic-name", "李明")
    page.fill("#f-basic-id_number", "110105199003070034")  # one digit off: checksum fails
    page.fill("#f-basic-email", "liming@example")
    page.click("button:has-text('保存，下一步')")
    problems = page.locator("[data-testid=step-problems]")
    problems.wait_for()
    assert "h1" and "基本信息" in page.inner_text("h1")
    assert "校验位不正确" in problems.inner_text() and "电子邮箱格式不正确" in problems.inner_text()
    assert "校验位不正确" in page.inner_text("#err-basic-id_number")
    assert "已保存" in page.inner_text(".messages")
    shot(page, f"01-wrong-id-on-save-{page.width}")

    # the right number fills birth date and gender (由身份证自动带出)
    page.fill("#f-basic-id_number", ID_NUMBER)
    page.fill("#f-basic-email", "liming@example.com")
    page.locator("#f-basic-id_number").dispatch_event("change")
    assert page.input_value("#f-basic-birth_date") == "1990-03-07"
    assert page.input_value("[name='basic.gender']") == "M"
    page.click("button:has-text('保存，下一步')")
    page.wait_for_selector("h1:has-text('学历')")
    page.goto(page.url.replace("/education/", "/basic/"))
    assert page.locator("text=由身份证自动带出").count() == 2
    shot(page, f"02-filled-from-id-{page.width}")

    # with a mistake left in, the next step is still one click away
    page.fill("#f-basic-email", "still@wrong")
    page.click("button:has-text('保存，下一步')")
    page.click("[data-testid=skip-to-next]")
    page.wait_for_selector("h1:has-text('学历')")
    if page.width < 600:
        assert no_sideways_scroll(page)


def test_summary_before_submit_shows_the_whole_form(sized, live_server, code_tables):
    page, url = sized, live_server.url
    person = UserFactory()
    form = copy.deepcopy(VALID_FORM)
    form["employment"]["unit_uscc"] = valid_uscc()
    form["basic"]["phone"] = person.phone
    form["basic"]["hukou_region"] = "130102"
    form["other"]["titles"] = "会计师"
    form["work_history"] = [
        {
            "start_date": "2012-08-01",
            "unit_name": "北京示例科技有限公司",
            "unit_type": "enterprise",
            "industry": "I",
            "post": "总账会计",
        }
    ]
    application = services.application_create(applicant=person, type="first_collection")
    application = services.application_save_form(application=application, actor=person, form=form)
    upload_all_materials(application, person)

    login(page, url, person.phone)
    page.goto(f"{url}/apply/{application.pk}/review/")
    summary = page.locator("[data-testid=form-summary]")
    text = summary.inner_text()
    for expected in (
        "毕业证书编号",
        "100341201205001234",
        "学位证书编号",
        "1003442012001234",
        "会计工作经历（第1条）",
        "总账会计",
        "参加会计工作时间",
        "2012-08-01",
        "户籍所在地",
        "河北省石家庄市长安区",
        "单位类型",
        "企业",
        "单位所在区",
        "朝阳区",
        "聘任职称",
        "会计师",
    ):
        assert expected in text, expected
    assert "employment." not in text and "enterprise" not in text
    assert "100341201205001234" in page.inner_text("#material-diploma-0")
    assert "1003442012001234" in page.inner_text("#material-degree-0")
    shot(page, f"01-summary-{page.width}")

    # the reviewer sees the same whole form, each number beside its material
    services.application_submit(application=application, actor=person)
    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    page.context.clear_cookies()
    login(page, url, reviewer.phone)
    page.goto(f"{url}/staff/review/{application.pk}/")
    assert "河北省石家庄市长安区" in page.inner_text("[data-testid=form-summary]")
    figure = page.locator("#material-qualification_cert-0").inner_text()
    assert "Z11010516000123" in figure and "证书编号或批准文号" in figure
    shot(page, f"02-reviewer-page-{page.width}")
    if page.width < 600:
        assert no_sideways_scroll(page)


def test_staff_pages_on_a_phone(sized, live_server, code_tables):
    page, url = sized, live_server.url
    make_submitted(name="李明")
    make_submitted(name="王芳", id_number="11010519491231002X", cert="Z11010516000999")
    admin = UserFactory(admin=True, name="市局管理员")
    UserFactory(reviewer=True, district_codes=["110105"], name="朝阳审核员")
    login(page, url, admin.phone)

    page.goto(f"{url}/staff/queue/")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    header_shown = (
        page.locator("table.queue thead").is_visible() and page.locator("table.queue thead").bounding_box()["x"] >= 0
    )
    first = rows.first.bounding_box()
    if page.width < 600:
        assert not header_shown  # cards: each cell says what it is
        assert first["height"] > 150 and first["width"] <= page.width
        label = page.evaluate("getComputedStyle(document.querySelector('table.queue tbody td'), '::before').content")
        assert "提交时间" in label
        assert no_sideways_scroll(page)
    else:
        assert header_shown and first["height"] < 80
    shot(page, f"01-queue-{page.width}")

    page.goto(f"{url}/staff/districts/")
    if page.width < 600:
        assert no_sideways_scroll(page)
    shot(page, f"02-districts-{page.width}")

    page.goto(f"{url}/staff/users/")
    edit = page.locator("form.district-edit").first
    assert edit.locator("input[type=checkbox][name=districts]").count() == 18
    assert edit.locator("input[name=districts][value='110105']").is_checked()
    assert edit.locator("button.button:has-text('保存负责的区')").is_visible()
    assert page.locator("#id_districts input[type=checkbox]").count() == 18  # new account: checkboxes too
    if page.width < 600:
        assert no_sideways_scroll(page)
    shot(page, f"03-users-{page.width}")
    edit.locator("input[name=districts][value='110108']").check()
    edit.locator("button:has-text('保存负责的区')").click()
    page.wait_for_selector("text=已更新")
    assert page.locator("form.district-edit").first.locator("input[value='110108']").is_checked()
