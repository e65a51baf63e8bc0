"""Provider files (CSV or XLSX) imported set-based.

Reading: rows are read and their values checked in Python (the same `check_values` as the push),
in chunks, reporting progress. Writing, on PostgreSQL: the checked rows are COPYed into a staging
table and merged in one transaction with one INSERT … SELECT (person join, name check, duplicates by
(provider, external_id) via ON CONFLICT DO NOTHING). On SQLite (the embedded default) the same rows
go through the push's bulk path. Either way the write is all or nothing, and running the same file
again changes nothing (every row is then a duplicate).
"""

import csv
import datetime as dt
import io
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .models import CreditStatus, Source
from .services import REJECTION_MESSAGES, ImportResult, _lock_provider, check_values, provider_rows_apply

COLUMNS = ["external_id", "id_number", "name", "year", "course", "subject", "credits", "hours", "completed_on"]
COLUMN_LABELS = {
    "external_id": "机构记录编号",
    "id_number": "证件号码",
    "name": "姓名",
    "year": "年度",
    "course": "课程名称",
    "subject": "科目",
    "credits": "学分",
    "hours": "学时",
    "completed_on": "完成日期",
}
ALIASES = {**{label: key for key, label in COLUMN_LABELS.items()}, **{key: key for key in COLUMNS}}
CHUNK = 20_000
EXAMPLE = [
    "HX-2025-000001",
    "110105199001010013",
    "张三",
    "2025",
    "企业会计准则解读",
    "professional",
    "24",
    "24",
    "2025-06-30",
]


class BadFile(ValueError):
    pass


def template_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(EXAMPLE)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "学分"
    sheet.append(COLUMNS)
    sheet.append([COLUMN_LABELS[c] for c in COLUMNS])
    sheet.append(EXAMPLE)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _is_xlsx(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _header(cells) -> list[str | None]:
    names = [ALIASES.get(str(c).strip().lstrip("\ufeff")) if c is not None else None for c in cells]
    missing = [c for c in COLUMNS if c not in names and c != "hours"]
    if missing:
        raise BadFile("表头缺少列：" + "、".join(f"{c}（{COLUMN_LABELS[c]}）" for c in missing) + "。请使用模板。")
    return names


def read_rows(path: Path) -> Iterator[dict]:
    """Rows as dicts of the template's columns; the template's second line (Chinese labels) is skipped."""
    path = Path(path)
    if _is_xlsx(path):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = book.worksheets[0].iter_rows(values_only=True)
            yield from _as_dicts(rows)
        finally:
            book.close()
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        yield from _as_dicts(csv.reader(fh))


def _as_dicts(rows) -> Iterator[dict]:
    names = None
    for cells in rows:
        if names is None:
            names = _header(cells)
            continue
        if not any(c not in (None, "") for c in cells):
            continue
        item = {name: value for name, value in zip(names, cells, strict=False) if name}
        if item.get("external_id") == COLUMN_LABELS["external_id"]:
            continue
        yield item


def count_rows(path: Path) -> int:
    """Rows to import (for progress): data lines of a CSV, the sheet's dimension of an XLSX."""
    path = Path(path)
    if _is_xlsx(path):
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True)
        try:
            return max(0, (book.worksheets[0].max_row or 1) - 1)
        finally:
            book.close()
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)


@dataclass
class FileResult:
    result: ImportResult = field(default_factory=ImportResult)
    rows: int = 0


def import_file(*, path, provider: str, progress: Callable[[int], None] | None = None) -> FileResult:
    if connection.vendor == "postgresql":
        return _import_postgres(Path(path), provider, progress)
    return _import_plain(Path(path), provider, progress)


def _import_plain(path: Path, provider: str, progress) -> FileResult:
    rows = []
    for n, row in enumerate(read_rows(path)):
        rows.append(row)
        if progress and n % CHUNK == 0:
            progress(n)
    with transaction.atomic():
        _lock_provider(provider)
        result = provider_rows_apply(provider=provider, rows=rows)
    if progress:
        progress(len(rows))
    return FileResult(result, len(rows))


STAGING_COLUMNS = "n, code, external_id, id_number, name, year, subject, credits, hours, course, completed_on, raw"


def _import_postgres(path: Path, provider: str, progress) -> FileResult:
    staging = f"credit_staging_{uuid.uuid4().hex[:12]}"
    this_year = timezone.localdate().year
    rows = 0
    source = read_rows(path)
    first = next(source, None)  # reads the header first: a bad one is refused before anything is created
    source = itertools.chain([first] if first is not None else [], source)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} (n integer, code text, external_id text, id_number text, name text,"
            " year smallint, subject text, credits numeric(6,1), hours numeric(6,1), course text, completed_on date,"
            " raw text[])"
        )
        try:
            while True:
                with cursor.copy(f"COPY {staging} ({STAGING_COLUMNS}) FROM STDIN") as copy:
                    written = 0
                    for row in source:
                        code, f = check_values(row, this_year=this_year)
                        raw = [_raw(row.get(c)) for c in COLUMNS]
                        if code:
                            copy.write_row((rows, code, None, None, None, None, None, None, None, None, None, raw))
                        else:
                            copy.write_row((rows, None, f["external_id"], f["id_number"], f["name"], f["year"],
                                            f["subject"], f["credits"], f["hours"], f["course"], f["completed_on"],
                                            None))  # fmt: skip
                        rows += 1
                        written += 1
                        if written == CHUNK:
                            break
                if progress:
                    progress(rows)
                if written < CHUNK:
                    break
            result = _merge(cursor, staging, provider)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}")
    return FileResult(result, rows)


def _raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)


def _merge(cursor, staging: str, provider: str) -> ImportResult:
    """One transaction: mark rows whose person is unknown or named otherwise, insert the rest once
    per external_id (earliest row wins), count what was already there."""
    with transaction.atomic():
        _lock_provider(provider)
        cursor.execute(f"CREATE INDEX ON {staging} (id_number)")
        cursor.execute(
            f"""UPDATE {staging} s SET code = CASE WHEN r.id IS NULL THEN 'unknown_person' ELSE 'name_mismatch' END,
                       raw = ARRAY[s.external_id, s.id_number, s.name, s.year::text, s.course, s.subject,
                                   s.credits::text, coalesce(s.hours::text, ''), coalesce(s.completed_on::text, '')]
                FROM {staging} t LEFT JOIN records_record r ON r.id_number = t.id_number
                WHERE s.n = t.n AND s.code IS NULL AND (r.id IS NULL OR r.name <> t.name)"""
        )
        cursor.execute(f"SELECT count(*) FROM {staging} WHERE code IS NULL")
        valid = cursor.fetchone()[0]
        cursor.execute(
            f"""INSERT INTO credits_creditrecord (record_id, year, subject, credits, hours, source, course, provider,
                       completed_on, external_id, status, created_at)
                SELECT DISTINCT ON (s.external_id) r.id, s.year, s.subject, s.credits, s.hours, %s, s.course, %s,
                       s.completed_on, s.external_id, %s, now()
                FROM {staging} s JOIN records_record r ON r.id_number = s.id_number
                WHERE s.code IS NULL
                ORDER BY s.external_id, s.n
                ON CONFLICT (provider, external_id) WHERE NOT (external_id = '') DO NOTHING""",
            [Source.PROVIDER, provider, CreditStatus.ACCEPTED],
        )
        accepted = cursor.rowcount
        cursor.execute(f"SELECT n, code, raw FROM {staging} WHERE code IS NOT NULL ORDER BY n")
        rejected = [
            {"index": n, "code": code, "row": dict(zip(COLUMNS, raw or [], strict=False))}
            for n, code, raw in cursor.fetchall()
        ]
    return ImportResult(accepted=accepted, duplicates=valid - accepted, rejected=rejected)


def rejected_xlsx(rejected: list[dict]) -> bytes:
    """The rejected rows with their line number and reason, as an XLSX the provider can fix and resend."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("未导入")
    sheet.append(["行号", "原因代码", "原因", *COLUMNS])
    for item in rejected:
        row = item["row"]
        # line in the file: header + data index (+1 for 1-based); formulas never run: values only
        sheet.append([item["index"] + 2, item["code"], REJECTION_MESSAGES.get(item["code"], item["code"]),
                      *[_cell(row.get(c)) for c in COLUMNS]])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    text = _raw(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
