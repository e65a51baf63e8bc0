"""Issue 15 in a browser: an admin imports a file of existing records and downloads the report of
the rows that were not imported; a person registers and finds their imported record."""

import io
import random

import pytest
from openpyxl import load_workbook

from registry.imports.samples import rows_csv, sample_row
from tests.factories import PASSWORD, UserFactory
from tests.helpers import register_in_browser, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13912345555"


def test_admin_imports_and_person_claims(page, live_server, code_tables, sms_file, tmp_path):
    url = live_server.url
    rng = random.Random(1515)
    person = sample_row(rng, district="110105", phone=PHONE)
    good = [person, sample_row(rng, district="110108"), sample_row(rng, district="110105")]
    bad_checksum = dict(sample_row(rng), id_number="110105199003070034")
    unknown_code = dict(sample_row(rng), qualification_level="master_accountant")
    path = tmp_path / "原系统导出.csv"
    path.write_bytes(rows_csv([*good, bad_checksum, unknown_code]))

    # The admin uploads the file; a background job imports it while the progress page updates.
    UserFactory(admin=True, phone="13700000009")
    page.goto(f"{url}/login/")
    page.fill("#id_username", "13700000009")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('登录')")
    page.click("nav >> text=存量数据导入")
    page.fill("#id_source", "bj2019")
    page.set_input_files("#id_file", str(path))
    shot(page, "01-upload")
    page.click("button:has-text('上传并导入')")
    page.wait_for_selector("[data-testid=batch-status] >> text=已完成", timeout=60_000)
    counts = page.inner_text("[data-testid=batch-counts]")
    assert "导入\t3" in counts and "未通过校验\t2" in counts
    shot(page, "02-done")
    with page.expect_download() as download:
        page.click("text=下载错误报告（XLSX）")
    report = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    rows = list(report.iter_rows(values_only=True))
    assert [(r[0], r[3].split("; ")[0]) for r in rows[1:]] == [(5, "invalid_checksum"), (6, "unknown_code")]
    assert "资格" in rows[2][4]
    page.click("text=返回存量数据导入")
    assert "朝阳区" in page.inner_text("[data-testid=imported-by-district]")
    shot(page, "03-by-district")
    page.click("button:has-text('退出')")

    # The person registers with the phone the old system had: the claim page comes at once.
    register_in_browser(page, url, sms_file, PHONE, "Zhuce2026a", screenshot="04-register")
    page.wait_for_selector("[data-testid=phone-match]")
    page.fill("#id_id_number", person["id_number"])
    shot(page, "05-claim")
    page.click("button:has-text('认领')")
    page.wait_for_selector("text=认领成功")
    page.wait_for_selector("[data-testid=imported-record]")
    body = page.inner_text("main")
    assert person["name"] in body and "原采集日期 2019-06-30" in body and "办理信息变更" in body
    shot(page, "06-my-record")
