"""Provider files: CSV and XLSX through `import_credits` (set-based: COPY + one merge on PostgreSQL)."""

import csv
import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from registry.audit.models import AuditEntry
from registry.credits import imports
from registry.credits.models import CreditRecord
from registry.credits.selectors import compliance

from .conftest import row

pytestmark = pytest.mark.django_db


def rows_for(person, other):
    return [
        row(person, "F-1", credits="60"),
        row(person, "F-2", credits="30", subject="公需科目"),
        {**row(other, "F-3"), "name": "王五"},
        row(other, "F-4", credits="2.3"),
        {**row(other, "F-5"), "id_number": "110105194912310021"},
        row(other, "F-6", year=2031),
        row(person, "F-1", credits="60"),  # repeated in the file
        {**row(other, "F-7"), "completed_on": "2025-02-30"},
        row(other, "F-8", credits="=1+1"),
        {**row(other, "F-9"), "year": "二〇二五"},
        {**row(other, "F-10"), "subject": "专业"},
        {**row(other, "F-11"), "credits": "1e2"},
    ]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(imports.COLUMNS)
        for r in rows:
            writer.writerow([r.get(c, "") for c in imports.COLUMNS])


def write_xlsx(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append([imports.COLUMN_LABELS[c] for c in imports.COLUMNS])  # Chinese headers work too
    for r in rows:
        sheet.append([r.get(c) for c in imports.COLUMNS])
    book.save(path)


EXPECTED_CODES = ["name_mismatch", "bad_credits", "unknown_person", "bad_year", "bad_date", "bad_credits", "bad_year",
                  "bad_credits"]  # fmt: skip


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_file_import_and_again(kind, tmp_path, person, other_person, capsys):
    path = tmp_path / f"credits.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, rows_for(person, other_person))
    call_command("import_credits", str(path), "--provider", "华夏会计学院", "--no-progress")
    assert "imported 3, duplicates 1, rejected 8" in capsys.readouterr().out
    assert compliance(person, 2025).compliant
    assert CreditRecord.objects.get(external_id="F-2").subject == "public"

    rejected = load_workbook(tmp_path / "credits.rejected.xlsx", read_only=True)
    lines = list(rejected.worksheets[0].iter_rows(values_only=True))
    assert lines[0][:3] == ("行号", "原因代码", "原因")
    assert [line[1] for line in lines[1:]] == EXPECTED_CODES
    assert lines[1][2] == "姓名与证件号码不符" and lines[1][3] == "F-3"
    if kind == "csv":  # (in an XLSX it is a formula cell, read as its cached value)
        assert lines[-3][9] == "'=1+1"  # a formula-looking value is neutralised in the rejected file
    snapshot = list(CreditRecord.objects.order_by("pk").values())

    call_command("import_credits", str(path), "--provider", "华夏会计学院", "--no-progress")
    assert "imported 0, duplicates 4, rejected 8" in capsys.readouterr().out
    assert list(CreditRecord.objects.order_by("pk").values()) == snapshot
    assert AuditEntry.objects.filter(action="credits.import").count() == 2


def test_template_and_bad_header(tmp_path, capsys):
    call_command("import_credits", "--template")
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split(",") == imports.COLUMNS
    book = load_workbook(io.BytesIO(imports.template_xlsx()))
    assert [c.value for c in book.active[1]] == imports.COLUMNS
    bad = tmp_path / "bad.csv"
    bad.write_text("id,名字\n1,张三\n", encoding="utf-8")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="表头缺少列"):
        call_command("import_credits", str(bad), "--provider", "某机构", "--no-progress")
    assert not CreditRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_admin_upload_runs_as_a_job(code_tables, tmp_path, municipal_admin, django_capture_on_commit_callbacks):
    """In the background (the job thread has its own database connection), with its progress."""
    from .conftest import collect

    person, other_person = collect(name="张三"), collect(name="李四", district="110108")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from registry.applications import storage
    from registry.credits.models import CreditImport, ImportStatus
    from registry.credits.services import credits_import_start

    path = tmp_path / "upload.csv"
    write_csv(path, rows_for(person, other_person))
    with django_capture_on_commit_callbacks(execute=True):
        job = credits_import_start(provider="华夏会计学院", uploaded=SimpleUploadedFile("upload.csv", path.read_bytes()),
                                   actor=municipal_admin)  # fmt: skip
    from tests.workers import wait_for

    wait_for(
        lambda: CreditImport.objects.get(pk=job.pk).status in (ImportStatus.DONE, ImportStatus.FAILED),
        timeout=120,
        what="the import job",
    )
    job.refresh_from_db()
    assert (job.total, job.processed, job.accepted, job.duplicates, job.rejected) == (12, 12, 3, 1, 8)
    lines = list(load_workbook(io.BytesIO(storage.read(job.rejected_file.name))).active.iter_rows(values_only=True))
    assert len(lines) == 9
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(municipal_admin)
    page = admin_client.get(f"/admin/credits/creditimport/{job.pk}/change/").content.decode()
    assert "导入 3 条，重复 1 条，未导入 8 条" in page
    download = admin_client.get(f"/admin/credits/creditimport/{job.pk}/rejected.xlsx")
    assert load_workbook(io.BytesIO(download.content)).active.max_row == 9


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_course_completed_after_today_is_rejected(kind, tmp_path, person, other_person, capsys):
    """The same rule as the push, in the file import (on PostgreSQL: its SQL checks)."""
    import datetime as dt

    from registry.credits.services import today

    now = today()
    tomorrow = now + dt.timedelta(days=1)
    rows = [row(person, "J-1", year=tomorrow.year, completed_on=tomorrow.isoformat()),
            row(other_person, "J-2", year=now.year, completed_on=now.isoformat())]  # fmt: skip
    path = tmp_path / f"credits.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, rows)
    call_command("import_credits", str(path), "--provider", "华夏会计学院", "--no-progress")
    assert "imported 1, duplicates 0, rejected 1" in capsys.readouterr().out
    rejected = load_workbook(tmp_path / "credits.rejected.xlsx", read_only=True).worksheets[0]
    lines = list(rejected.iter_rows(values_only=True))
    code = "future_date" if tomorrow.year == now.year else "bad_year"  # (on 31 December, a date of next year)
    assert [line[:4] for line in lines[1:]] == [(2, code, imports.REJECTION_MESSAGES[code], "J-1")]
    assert list(CreditRecord.objects.values_list("external_id", "record_id")) == [("J-2", other_person.pk)]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_exam_bodys_pass_list_is_its_own_source(kind, tmp_path, person, other_person, capsys, person_api):
    """PRODUCT.md lists exams passed as a source of credits beside providers and declarations: the
    exam body's file is imported as such and the person sees 考试合格, not a training provider."""
    path = tmp_path / f"exam.{kind}"
    (write_csv if kind == "csv" else write_xlsx)(path, [row(person, "E-1", credits="90"), row(other_person, "T-1")])
    call_command("import_credits", str(path), "--provider", "北京市会计考试中心", "--source", "exam", "--no-progress")
    assert "imported 2, duplicates 0, rejected 0" in capsys.readouterr().out
    assert dict(CreditRecord.objects.values_list("external_id", "source")) == {"E-1": "exam", "T-1": "exam"}
    (entry,) = AuditEntry.objects.filter(action="credits.import")
    assert entry.details["source"] == "exam"
    mine = person_api.get("/api/v1/me/credits", {"year": 2025}).json()
    assert [(r["source"], r["credits"]) for r in mine["records"]] == [("exam", 90)] and mine["compliant"]
    with pytest.raises(Exception, match="invalid choice"):
        call_command("import_credits", str(path), "--provider", "某机构", "--source", "declaration", "--no-progress")


def test_the_admin_upload_form_takes_the_source(tmp_path, municipal_admin, person, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from registry.credits.models import CreditImport

    path = tmp_path / "exam.csv"
    write_csv(path, [row(person, "E-9", credits="90")])
    admin_client = Client()
    admin_client.force_login(municipal_admin)
    upload = SimpleUploadedFile("exam.csv", path.read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/credits/creditimport/upload/", {"source": "exam", "provider": "北京市会计考试中心", "file": upload}
        )
    assert response.status_code == 302, response.content.decode()[:400]
    (job,) = CreditImport.objects.all()
    assert (job.source, job.provider) == ("exam", "北京市会计考试中心")
    refused = admin_client.post(
        "/admin/credits/creditimport/upload/",
        {"source": "declaration", "provider": "某机构", "file": SimpleUploadedFile("x.csv", path.read_bytes())},
    )
    assert refused.status_code == 200 and CreditImport.objects.count() == 1
