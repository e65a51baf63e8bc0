"""Exports: real bytes of CSV and XLSX, masking by permission, formula neutralisation, scoping,
audit rows with filter and row count, and the background job for large lists."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from registry.audit.models import AuditEntry
from registry.stats.exports import neutralise
from registry.stats.models import ExportJob
from tests.helpers import problem
from tests.workers import wait_for


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese correctly
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def grant_full(user):
    user.user_permissions.add(Permission.objects.get(codename="export_full_id_number"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800000000", "'+8613800000000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("北京华信", "北京华信"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


@pytest.mark.django_db
def test_csv_masked_neutralised_and_audited(make_person, api, municipal_admin):
    evil = make_person("110105", name='=HYPERLINK("http://x")', unit_name="@SUM(1)", levels=("senior",))
    make_person("110108", name="李四")
    api.login(municipal_admin.phone)
    response = api.get("/api/v1/exports/people.csv", {"district": "110105"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0][:2] == ["姓名", "证件号码"]
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == '\'=HYPERLINK("http://x")'
    assert row[9] == "'@SUM(1)"
    assert row[1] == evil.id_number[:6] + "********" + evil.id_number[-4:]
    assert row[8] == "高级"
    entry = AuditEntry.objects.filter(action="export.people").latest("seq")
    assert entry.details["rows"] == 1 and entry.details["format"] == "csv"
    assert entry.details["filter"] == {"district": "110105", "level": "", "status": ""}
    assert entry.details["full_id_numbers"] is False and entry.details["complete"] is True
    assert entry.actor_id == municipal_admin.pk


@pytest.mark.django_db
def test_full_id_numbers_only_with_the_permission(make_person, api, municipal_admin):
    person = make_person("110105")
    grant_full(municipal_admin)
    api.login(municipal_admin.phone)
    rows = _csv(api.get("/api/v1/exports/people.csv"))
    assert rows[1][1] == person.id_number
    assert AuditEntry.objects.filter(action="export.people").latest("seq").details["full_id_numbers"] is True


@pytest.mark.django_db
def test_the_phone_exported_is_the_account_phone_as_it_is_now(make_person, api, municipal_admin):
    """PRODUCT.md: the record's phone is the verified account phone. A phone changed in 我的账号 after
    approval was exported as the old one, kept in the approved version."""
    from registry.records.models import RecordVersion

    person, other = make_person("110105", name="甲"), make_person("110105", name="乙")
    for record in (person, other):
        version = RecordVersion.objects.get(record=record)
        version.data["basic"]["phone"] = "13700000001"  # what the version was approved with
        version.save()
    type(person.user).objects.filter(pk=person.user_id).update(phone="13911112222")
    type(other).objects.filter(pk=other.pk).update(user=None)  # an imported record nobody has claimed
    grant_full(municipal_admin)
    api.login(municipal_admin.phone)
    phones = {row[0]: row[4] for row in _csv(api.get("/api/v1/exports/people.csv"))[1:]}
    assert phones == {"甲": "13911112222", "乙": "13700000001"}


@pytest.mark.django_db
def test_xlsx_bytes(make_person, api, chaoyang_reviewer):
    make_person("110105", name="+cmd", levels=("junior",))
    make_person("110108", name="海淀的人")
    api.login(chaoyang_reviewer.phone)
    response = api.get("/api/v1/exports/people.xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(values) == 2  # only 朝阳: the reviewer's district
    assert values[1][0] == "'+cmd" and "*" in values[1][1]
    entry = AuditEntry.objects.filter(action="export.people").latest("seq")
    assert entry.details["rows"] == 1 and entry.details["format"] == "xlsx"


@pytest.mark.django_db
def test_reviewer_cannot_export_another_district(make_person, api, chaoyang_reviewer, applicant):
    make_person("110108")
    api.login(chaoyang_reviewer.phone)
    problem(api.get("/api/v1/exports/people.csv", {"district": "110108"}), 403, "forbidden_district")
    rows = _csv(api.get("/api/v1/exports/people.csv"))
    assert rows[1:] == []
    api.login(applicant.phone)
    problem(api.get("/api/v1/exports/people.csv"), 403, "forbidden")
    assert not AuditEntry.objects.filter(action="export.people", actor_id=applicant.pk).exists()


@pytest.mark.django_db
def test_level_and_status_filters(dataset, api, municipal_admin):
    api.login(municipal_admin.phone)
    rows = _csv(api.get("/api/v1/exports/people.csv", {"level": "junior"}))
    # two juniors in the registry; junior + intermediate counts as intermediate; the transferred-out one is left out
    assert sorted(r[5] for r in rows[1:]) == ["朝阳区", "海淀区"]
    rows = _csv(api.get("/api/v1/exports/people.csv", {"level": "none"}))
    assert len(rows) - 1 == 1
    rows = _csv(api.get("/api/v1/exports/people.csv", {"status": "transferred_out"}))
    assert len(rows) - 1 == 1 and rows[1][6] == "已调出"
    problem(api.get("/api/v1/exports/people.csv", {"level": "x"}), 400, "invalid_level")


@pytest.mark.django_db
def test_stats_tables_export(dataset, api, municipal_admin):
    from registry.stats.services import stats_refresh

    stats_refresh()
    api.login(municipal_admin.phone)
    rows = _csv(api.get("/api/v1/exports/stats.csv"))
    assert ["在册人数合计", "", "5"] in rows
    assert ["性别", "女", "3"] in rows
    assert AuditEntry.objects.filter(action="export.stats").latest("seq").details["rows"] == len(rows) - 1


@pytest.mark.django_db(transaction=True)
def test_large_export_runs_in_background_in_parts(
    code_tables, make_person, api, settings, municipal_admin, haidian_reviewer
):
    settings.EXPORT_SYNC_MAX_ROWS = 2
    settings.EXPORT_PART_ROWS = 2
    people = [make_person("110105", name=f"人员{i}") for i in range(5)]
    api.login(municipal_admin.phone)
    response = api.get("/api/v1/exports/people.csv")
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = wait_for(lambda: ExportJob.objects.filter(pk=job_id, status="ready").first(), timeout=30, what="export job")
    assert job.rows == 5
    status = api.get(f"/api/v1/exports/jobs/{job_id}").json()
    assert status["download"] == f"/api/v1/exports/jobs/{job_id}/download"
    rows = _csv(api.get(status["download"]))
    assert [r[0] for r in rows[1:]] == [p.name for p in people]  # every part once, in order
    entry = AuditEntry.objects.filter(action="export.people").latest("seq")
    assert entry.details["rows"] == 5
    assert AuditEntry.objects.filter(action="export.download").count() == 1
    # someone else's job: not found
    api.login(haidian_reviewer.phone)
    problem(api.get(f"/api/v1/exports/jobs/{job_id}"), 404, "not_found")
    problem(api.get(f"/api/v1/exports/jobs/{job_id}/download"), 404, "not_found")


@pytest.mark.django_db
def test_background_job_of_a_reviewer_who_lost_the_district_fails(make_person, chaoyang_reviewer):
    from registry.stats import exports

    make_person("110105")
    filters = exports.clean_filters(user=chaoyang_reviewer, district="110105")
    job = exports.export_job_create(user=chaoyang_reviewer, fmt="csv", filters=filters)
    chaoyang_reviewer.districts.set([])
    assert exports.export_job_step(str(job.pk)) is False
    job.refresh_from_db()
    assert job.status == "failed" and job.rows == 0
    assert not AuditEntry.objects.filter(action="export.people").exists()


@pytest.mark.django_db
def test_export_files_are_deleted_after_the_keeping_time(make_person, api, settings, municipal_admin, tmp_path):
    """Personal data is not kept longer than needed: a ready file past EXPORT_KEEP_HOURS is deleted
    (and a failed job's leftover too), a younger one beside it stays; the download then says why."""
    import datetime as dt

    from django.utils import timezone

    from registry.stats import exports

    folder = tmp_path / "exports"
    settings.EXPORT_DIR = str(folder)
    settings.EXPORT_KEEP_HOURS = 72
    make_person("110105")
    filters = exports.clean_filters(user=municipal_admin)
    old, young, failed = (exports.export_job_create(user=municipal_admin, fmt="csv", filters=filters) for _ in range(3))
    for job in (old, young):
        exports.export_job_step(str(job.pk))
    (folder / f"{failed.pk}.csv").write_bytes(b"partial")
    exports.export_job_fail(failed.pk)
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(finished_at=now - dt.timedelta(hours=73))
    ExportJob.objects.filter(pk=young.pk).update(finished_at=now - dt.timedelta(hours=71))
    ExportJob.objects.filter(pk=failed.pk).update(created_at=now - dt.timedelta(hours=73))

    assert exports.exports_expire() == 2
    assert exports.exports_expire() == 0  # idempotent
    assert sorted(p.name for p in folder.iterdir()) == [f"{young.pk}.csv"]
    assert {j.pk: j.status for j in ExportJob.objects.all()} == {
        old.pk: "expired",
        young.pk: "ready",
        failed.pk: "expired",
    }
    assert AuditEntry.objects.filter(action="export.expired").count() == 2

    api.login(municipal_admin.phone)
    gone = problem(api.get(f"/api/v1/exports/jobs/{old.pk}/download"), 410, "export_expired")
    assert "72 小时" in gone["detail"]
    assert api.get(f"/api/v1/exports/jobs/{young.pk}/download").status_code == 200
