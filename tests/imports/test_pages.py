"""The admin's upload page (a background job with a progress page and the report download), the
district's lost-phone page and the person's claim page."""

import io

import pytest
from openpyxl import load_workbook

from registry.audit.models import AuditEntry
from registry.imports.models import ImportBatch, ImportedPerson
from registry.imports.samples import rows_csv, sample_row
from registry.records.models import Record
from tests.factories import PASSWORD, UserFactory
from tests.workers import wait_for


def upload(client, capture, rows, source="bj2019", name="old.csv"):
    file = io.BytesIO(rows_csv(rows))
    file.name = name
    with capture(execute=True):
        return client.post("/staff/imports/", {"source": source, "file": file})


@pytest.mark.django_db(transaction=True)
def test_admin_uploads_a_file_follows_progress_and_downloads_the_report(
    client, code_tables, rng, django_capture_on_commit_callbacks
):
    admin = UserFactory(admin=True)
    client.force_login(admin)
    good = [sample_row(rng) for _ in range(3)]
    bad = dict(sample_row(rng), unit_type="shop")
    response = upload(client, django_capture_on_commit_callbacks, [*good, bad])
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/staff/imports/{batch.pk}/"
    wait_for(lambda: ImportBatch.objects.get().finished, timeout=60, what="the import job")
    batch.refresh_from_db()
    assert (batch.status, batch.imported, batch.rejected, batch.already_present) == ("done", 3, 1, 0)
    assert batch.upload is None  # the uploaded file does not stay in the database
    page = client.get(f"/staff/imports/{batch.pk}/").content.decode()
    assert "已完成" in page and "下载错误报告" in page
    report = client.get(f"/staff/imports/{batch.pk}/report.xlsx")
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxml")
    rows = list(load_workbook(io.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == 5 and rows[1][3] == "unknown_code" and "单位类型" in rows[1][4]
    assert AuditEntry.objects.filter(action="import.report_download", actor=admin).count() == 1
    overview = client.get("/staff/imports/").content.decode()
    assert "bj2019" in overview and "各区导入与认领情况" in overview


@pytest.mark.django_db
def test_only_admins_import(client, chaoyang_reviewer, applicant):
    batch = ImportBatch.objects.create(source="bj2019", file_name="x.csv", report=b"PK")
    for user in (chaoyang_reviewer, applicant):
        client.force_login(user)
        assert client.get("/staff/imports/").status_code == 403
        assert client.get(f"/staff/imports/{batch.pk}/report.xlsx").status_code == 403
        file = io.BytesIO(b"id_number\n")
        file.name = "x.csv"
        assert client.post("/staff/imports/", {"source": "x", "file": file}).status_code == 403
    assert ImportBatch.objects.count() == 1


@pytest.mark.django_db
def test_upload_larger_than_the_limit_is_refused(client, settings, municipal_admin):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100
    client.force_login(municipal_admin)
    file = io.BytesIO(b"id_number\n" + b"1" * 200)
    file.name = "big.csv"
    page = client.post("/staff/imports/", {"source": "bj2019", "file": file}).content.decode()
    assert "请拆分" in page and not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_person_logs_in_is_sent_to_claim_and_finds_their_record(client, rng, import_rows):
    row = sample_row(rng, district="110105", phone="13811110001")
    other = sample_row(rng, district="110105", phone="13811110002")
    import_rows([row, other])
    UserFactory(phone="13811110001")
    response = client.post("/login/", {"username": "13811110001", "password": PASSWORD})
    assert response["Location"] == "/claim/"
    page = client.get("/claim/").content.decode()
    assert "原系统中有登记您当前手机号的人员信息" in page
    wrong = client.post("/claim/", {"id_number": "110105199003070033"}).content.decode()
    assert "没有找到可认领的原有人员信息" in wrong
    response = client.post("/claim/", {"id_number": row["id_number"]})
    assert response["Location"] == "/record/"
    page = client.get("/record/").content.decode()
    assert row["name"] in page and "以下信息从原系统导入（原采集日期 2019-06-30）" in page and "办理信息变更" in page
    assert Record.objects.get(id_number=other["id_number"]).user_id is None


@pytest.mark.django_db
def test_district_page_puts_the_account_phone_on_the_imported_record(client, rng, import_rows, chaoyang_reviewer):
    row = sample_row(rng, district="110105", phone="13811110001")
    import_rows([row])
    client.force_login(chaoyang_reviewer)
    data = {"id_number": row["id_number"], "new_phone": "13900000001", "identity_check": "本人到场核验身份证原件"}
    response = client.post("/staff/imports/claim-by-district/", data)
    assert response.status_code == 302
    assert ImportedPerson.objects.get(id_number=row["id_number"]).phone == "13900000001"


@pytest.mark.django_db
def test_claim_page_by_code_sent_to_the_old_phone(
    client, rng, import_rows, sms_file, django_capture_on_commit_callbacks
):
    row = sample_row(rng, district="110108", phone="13811110002")
    import_rows([row])
    user = UserFactory(phone="13900000055")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/claim/", {"id_number": row["id_number"]}).content.decode()
    assert "验证码已发送至原信息中登记的手机号 138****0002" in page
    wrong = client.post("/claim/", {"id_number": row["id_number"], "sms_code": "000000"}).content.decode()
    assert "验证码不正确" in wrong
    code = sms_file.last_code("13811110002", "claim")
    response = client.post("/claim/", {"id_number": row["id_number"], "sms_code": code})
    assert response["Location"] == "/record/"
    assert Record.objects.get(id_number=row["id_number"]).user_id == user.pk


@pytest.mark.django_db
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_on_the_form(client, municipal_admin, rng):
    # A picture became a batch that failed later with "CSV 文件编码无法识别".
    client.force_login(municipal_admin)
    png = io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    png.name = "old.csv"
    page = client.post("/staff/imports/", {"source": "bj2019", "file": png}).content.decode()
    assert "只能导入 CSV（UTF-8 或 GBK 编码）或 XLSX 文件" in page and not ImportBatch.objects.exists()
    gbk = io.BytesIO(rows_csv([sample_row(rng)]).decode().encode("gbk"))
    gbk.name = "old.csv"
    assert client.post("/staff/imports/", {"source": "bj2019", "file": gbk}).status_code == 302
    assert ImportBatch.objects.count() == 1


@pytest.mark.django_db
def test_claim_code_page_keeps_where_the_code_went_and_offers_a_new_one(
    client, rng, import_rows, sms_file, django_capture_on_commit_callbacks
):
    """Found in the review of 28 Nov 2026: after a wrong code the page said "sent to ，" with the
    phone gone, and typing the ID number again within the minute hid the page where the code is
    typed behind "请 N 秒后再获取"."""
    row = sample_row(rng, district="110108", phone="13811110002")
    other = sample_row(rng, district="110108", phone="13811110003")
    import_rows([row, other])
    user = UserFactory(phone="13900000055")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/claim/", {"id_number": row["id_number"].lower()}).content.decode()
    assert "验证码已发送至原信息中登记的手机号 138****0002" in page
    assert "重新获取验证码" in page and "换一个证件号码" in page
    wrong = client.post("/claim/", {"id_number": row["id_number"], "sms_code": "000000"}).content.decode()
    assert "验证码不正确" in wrong and "验证码已发送至原信息中登记的手机号 138****0002" in wrong
    # The same ID number again at once: no new code yet, but the page to type the one sent.
    again = client.post("/claim/", {"id_number": row["id_number"]}).content.decode()
    assert "秒后再获取" in again and 'name="sms_code"' in again and "138****0002" in again
    # A code sent for another ID number (none was sent to its phone) shows no phone at all.
    guessed = client.post("/claim/", {"id_number": other["id_number"], "sms_code": "000000"}).content.decode()
    assert "138****0003" not in guessed and "138****0002" not in guessed
    code = sms_file.last_code("13811110002", "claim")
    response = client.post("/claim/", {"id_number": row["id_number"], "sms_code": code})
    assert response["Location"] == "/record/"
    assert Record.objects.get(id_number=row["id_number"]).user_id == user.pk
    assert Record.objects.get(id_number=other["id_number"]).user_id is None


@pytest.mark.django_db
def test_claim_code_page_says_when_the_record_was_claimed_meanwhile(
    client, rng, import_rows, sms_file, django_capture_on_commit_callbacks
):
    """The ID number is a hidden field on the code's page: its error used to be shown nowhere."""
    row = sample_row(rng, district="110108", phone="13811110002")
    import_rows([row])
    user, rival = UserFactory(phone="13900000055"), UserFactory(phone="13811110002")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/claim/", {"id_number": row["id_number"]})
    code = sms_file.last_code("13811110002", "claim")
    from registry.imports import claims

    assert claims.claim_start(user=rival, id_number=row["id_number"]) == {"claimed": True}
    page = client.post("/claim/", {"id_number": row["id_number"], "sms_code": code}).content.decode()
    assert "没有找到可认领的原有人员信息" in page
    assert Record.objects.get(id_number=row["id_number"]).user_id == rival.pk


@pytest.mark.django_db
def test_a_person_who_has_a_record_is_not_offered_the_claim_form(client, rng, import_rows):
    """The form used to be shown and end in "一人只能有一条人员信息" after the ID number was typed."""
    from tests.factories import collected_person

    row = sample_row(rng, district="110108", phone="13811110002")
    import_rows([row])
    client.force_login(collected_person("110105"))
    for response in (client.get("/claim/"), client.post("/claim/", {"id_number": row["id_number"]})):
        assert response.status_code == 302 and response["Location"] == "/record/"
    assert "无需认领" in client.get("/record/").content.decode()
    assert Record.objects.get(id_number=row["id_number"]).user_id is None
    client.force_login(UserFactory(phone="13900000066"))
    assert 'name="id_number"' in client.get("/claim/").content.decode()
