"""Import of existing records (issue 15): good rows in, bad rows reported with reasons, an ID
already collected reported and untouched, and a second run that changes nothing."""

import io
import json

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from registry.imports.models import ImportedPerson
from registry.imports.samples import rows_csv
from registry.imports.template import COLUMNS
from registry.records.models import Record, RecordVersion
from registry.records.services import record_apply
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(path, source="bj2019", mapping=None):
    out = io.StringIO()
    args = [str(path), "--source", source] + (["--mapping", str(mapping)] if mapping else [])
    call_command("import_records", *args, stdout=out)
    return out.getvalue()


def report_rows(path):
    sheet = load_workbook(path.with_name(path.stem + ".rejected.xlsx")).worksheets[0]
    head, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(head, row, strict=False)) for row in rows]


@pytest.fixture
def mixed_file(tmp_path, good_rows, rng):
    from registry.imports.samples import sample_row

    collected = sample_row(rng, district="110108")
    owner = UserFactory()
    record_apply(
        user=owner,
        district_code="110108",
        data={"basic": {"name": "已采集", "id_number": collected["id_number"]}},
        source="first_collection",
    )
    bad_checksum = dict(
        good_rows[0], id_number=good_rows[0]["id_number"][:-1] + ("0" if good_rows[0]["id_number"][-1] != "0" else "1")
    )
    unknown_code = sample_row(rng)
    unknown_code["education_level"] = "phd_abroad"
    bad_uscc = sample_row(rng)
    bad_uscc["unit_uscc"] = bad_uscc["unit_uscc"][:-1] + ("0" if bad_uscc["unit_uscc"][-1] != "0" else "1")
    duplicate = dict(good_rows[1], name="重复行")
    rows = [*good_rows, bad_checksum, unknown_code, bad_uscc, duplicate, collected]
    path = tmp_path / "old_registry.csv"
    path.write_bytes(rows_csv(rows))
    return path, good_rows, collected


def test_good_rows_imported_bad_rows_reported_with_reasons(mixed_file):
    path, good_rows, collected = mixed_file
    before = Record.objects.get(id_number=collected["id_number"])

    out = run(path)

    assert "imported 5, rejected 4, already present 1" in out
    for row in good_rows:
        record = Record.objects.get(id_number=row["id_number"])
        assert record.user_id is None and record.version == 1 and record.district_id == row["district"]
        version = RecordVersion.objects.get(record=record)
        assert version.version == 1 and version.source == "import:bj2019"
        assert version.data["basic"]["name"] == row["name"]
        assert version.data["employment"]["unit_uscc"] == row["unit_uscc"]
        assert version.data["qualifications"][0]["level"] == row["qualification_level"]
        person = ImportedPerson.objects.get(record=record)
        assert person.phone == row["phone"] and person.claimed_at is None
        assert str(person.collected_on) == "2019-06-30"
    report = {r["行号"]: r for r in report_rows(path)}
    assert set(report) == {7, 8, 9, 10, 11}
    assert report[7]["原因代码"] == "invalid_checksum" and "校验位" in report[7]["原因"]
    assert report[8]["原因代码"] == "unknown_code" and "学历" in report[8]["原因"]
    assert report[9]["原因代码"] == "invalid_checksum" and "统一社会信用代码" in report[9]["原因"]
    assert report[10]["原因代码"] == "duplicate_in_file" and "第 3 行" in report[10]["原因"]
    assert report[11]["原因代码"] == "already_collected"
    # the original cells come along, so the row can be corrected and loaded again
    assert report[8]["原文件：education_level"] == "phd_abroad"
    # the ID already collected is untouched
    after = Record.objects.get(id_number=collected["id_number"])
    assert (after.user_id, after.name, after.version) == (before.user_id, "已采集", 1)
    assert RecordVersion.objects.filter(record=after).count() == 1


def test_second_run_changes_nothing(mixed_file):
    path, _, _ = mixed_file
    run(path)
    snapshot = (
        list(Record.objects.order_by("pk").values_list("pk", "id_number", "version", "user_id", "updated_at")),
        list(RecordVersion.objects.order_by("pk").values_list("pk", "record_id", "version")),
        list(ImportedPerson.objects.order_by("pk").values_list("pk", "record_id", "phone")),
    )

    out = run(path)

    assert "imported 0, rejected 4, already present 6" in out
    assert snapshot == (
        list(Record.objects.order_by("pk").values_list("pk", "id_number", "version", "user_id", "updated_at")),
        list(RecordVersion.objects.order_by("pk").values_list("pk", "record_id", "version")),
        list(ImportedPerson.objects.order_by("pk").values_list("pk", "record_id", "phone")),
    )
    # only the rows that really are a problem are reported again, not the ones this source brought
    assert {r["行号"] for r in report_rows(path)} == {7, 8, 9, 10, 11}


def test_another_source_with_the_same_people_is_reported_not_merged(mixed_file):
    path, good_rows, _ = mixed_file
    run(path)
    out = run(path, source="haidian_old")
    assert "imported 0" in out
    codes = [r["原因代码"] for r in report_rows(path)]
    assert codes.count("already_collected") == 6
    assert ImportedPerson.objects.filter(source="haidian_old").count() == 0


def test_xlsx_with_a_mapping_of_their_column_names_and_codes(tmp_path, good_rows):
    theirs = {"id_number": "身份证号", "name": "姓名", "education_level": "学历代码", "gender": "性别"}
    book = Workbook()
    sheet = book.active
    header = [theirs.get(c, c) for c in COLUMNS]
    sheet.append(header)
    for row in good_rows:
        values = dict(row, education_level="21", gender={"M": "1", "F": "2"}[row["gender"]])
        sheet.append([values[c] for c in COLUMNS])
    sheet.append([None] * len(COLUMNS))  # trailing empty lines are ignored
    path = tmp_path / "export.xlsx"
    book.save(path)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {"身份证号": "id_number", "学历代码": "education_level"},
                "values": {"education_level": {"21": "bachelor"}, "gender": {"1": "M", "2": "F"}},
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    out = run(path, mapping=mapping)

    assert "imported 5, rejected 0, already present 0" in out
    data = RecordVersion.objects.get(record__id_number=good_rows[0]["id_number"]).data
    assert data["education"][0]["level"] == "bachelor" and data["basic"]["gender"] == good_rows[0]["gender"]


def test_plaintext_password_is_refused_a_hash_is_kept(tmp_path, good_rows):
    from django.contrib.auth.hashers import make_password

    columns = [*COLUMNS, "password_hash"]
    rows = [
        dict(good_rows[0], password_hash="Secret2019"),
        dict(good_rows[1], password_hash=make_password("x", hasher="pbkdf2_sha1")),
    ]
    path = tmp_path / "with_passwords.csv"
    path.write_bytes(rows_csv(rows, columns))
    out = run(path)
    assert "imported 1, rejected 1" in out
    assert report_rows(path)[0]["原因代码"] == "unsupported_password_hash"
    assert ImportedPerson.objects.get(id_number=good_rows[1]["id_number"]).password_hash.startswith("pbkdf2_sha1$")


def test_template_prints_the_documented_header():
    out = io.StringIO()
    call_command("import_records", "--template", stdout=out)
    assert out.getvalue().strip().split(",") == COLUMNS


@pytest.mark.django_db(transaction=True)
def test_rows_checked_in_worker_processes_give_the_same_result(code_tables, mixed_file):
    path, good_rows, _ = mixed_file
    out = io.StringIO()
    call_command("import_records", str(path), "--source", "bj2019", "--workers", "2", stdout=out)
    assert "imported 5, rejected 4, already present 1" in out.getvalue()
    assert {r["行号"]: r["原因代码"] for r in report_rows(path)} == {
        7: "invalid_checksum",
        8: "unknown_code",
        9: "invalid_checksum",
        10: "duplicate_in_file",
        11: "already_collected",
    }


@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_report_row_numbers_are_the_files_with_empty_lines_and_either_line_end(tmp_path, rng, quoted, newline):
    """A file without a quote character is cut into text blocks where it is checked; any other is
    read row by row here: the row numbers are the same either way."""
    from registry.imports.samples import sample_row

    rows = [sample_row(rng) for _ in range(4)]
    if quoted:  # a cell with a comma, quoted
        rows[0]["unit_name"] = "北京示例会计服务有限公司, 第一分公司"
    rows[2]["id_number"] = rows[2]["id_number"][:-1] + ("0" if rows[2]["id_number"][-1] != "0" else "1")
    lines = rows_csv(rows).decode().split("\n")
    lines.insert(2, "")  # an empty line between the first two rows: line 3
    path = tmp_path / "blank.csv"
    path.write_bytes(newline.join(lines).encode())

    out = run(path)

    assert "imported 3, rejected 1" in out
    (bad,) = report_rows(path)
    assert bad["行号"] == 5 and bad["原因代码"] == "invalid_checksum"
    if quoted:
        assert (
            RecordVersion.objects.get(record__id_number=rows[0]["id_number"]).data["employment"]["unit_name"]
            == (rows[0]["unit_name"])
        )


@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_half_way_is_finished_by_running_the_file_again(code_tables, tmp_path, rng, monkeypatch):
    """Each part is committed on its own (PostgreSQL: while the next one is checked): a run that
    stops after the first part leaves it imported, whole, and the same file run again imports the
    rest, nothing twice, and reports none of the first part's rows."""
    from registry.imports import services
    from registry.imports.samples import sample_row
    from registry.records import imported

    rows = [sample_row(rng) for _ in range(12)]
    path = tmp_path / "stopped.csv"
    path.write_bytes(rows_csv(rows))
    monkeypatch.setattr(services, "CHUNK", 4)
    monkeypatch.setattr(services, "PART", 4)
    merges = []

    def failing_second(real):
        def merge(**kwargs):
            merges.append(1)
            if len(merges) == 2:
                raise RuntimeError("the database went away")
            return real(**kwargs)

        return merge

    for name in ("records_create_imported", "records_create_imported_rows"):
        monkeypatch.setattr(imported, name, failing_second(getattr(imported, name)))
    with pytest.raises(RuntimeError):
        run(path)
    assert set(Record.objects.values_list("id_number", flat=True)) == {r["id_number"] for r in rows[:4]}
    assert ImportedPerson.objects.count() == RecordVersion.objects.count() == 4

    merges.append(1)  # the failure is behind us
    out = run(path)

    assert "imported 8, rejected 0, already present 4" in out
    assert sorted(Record.objects.values_list("id_number", flat=True)) == sorted(r["id_number"] for r in rows)
    assert RecordVersion.objects.filter(version=1, source="import:bj2019").count() == 12
    assert ImportedPerson.objects.filter(source="bj2019").count() == 12
    assert not path.with_name(path.stem + ".rejected.xlsx").exists()


def test_backslashes_and_tabs_arrive_as_written(tmp_path, good_rows):
    """PostgreSQL: the checking process writes each row in COPY's text format itself."""
    unit = "北京示例\\会计\t服务有限公司"
    path = tmp_path / "escapes.csv"
    path.write_bytes(rows_csv([dict(good_rows[0], unit_name=unit), good_rows[1]]))
    assert "imported 2, rejected 0" in run(path)
    data = RecordVersion.objects.get(record__id_number=good_rows[0]["id_number"]).data
    assert data["employment"]["unit_name"] == unit
