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

from .models import CreditStatus, Source
from .services import REJECTION_MESSAGES, ImportResult, _lock_provider, provider_rows_apply

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


def import_file(
    *, path, provider: str, source: str = Source.PROVIDER, progress: Callable[[int], None] | None = None
) -> FileResult:
    """`source`: a training provider's records, or an exam body's list of subjects passed."""
    if connection.vendor == "postgresql":
        return _import_postgres(Path(path), provider, source, progress)
    return _import_plain(Path(path), provider, source, progress)


def _import_plain(path: Path, provider: str, source: str, progress) -> FileResult:
    rows = []
    for n, row in enumerate(read_rows(path)):
        rows.append(row)
        if progress and n % CHUNK == 0:
            progress(n)
    with transaction.atomic():
        _lock_provider(provider)
        result = provider_rows_apply(provider=provider, rows=rows, source=source)
    if progress:
        progress(len(rows))
    return FileResult(result, len(rows))


def _text_cells(path: Path) -> Iterator[list]:
    """The file's rows as text in the template's column order (what COPY writes to staging). A CSV's
    cells are passed on as read (SQL trims them); an XLSX's numbers and dates become text first."""
    from .services import _text

    if _is_xlsx(path):
        for row in read_rows(path):
            yield [_text(row.get(c)) for c in COLUMNS]
        return
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        names = _header(next(reader, []))
        where = [names.index(c) if c in names else None for c in COLUMNS]
        width = len(names)
        label_line = [COLUMN_LABELS[c] for c in COLUMNS]
        for cells in reader:
            if len(cells) < width:
                if not any(cells):
                    continue
                cells = cells + [""] * (width - len(cells))
            row = [cells[i] if i is not None else "" for i in where]
            if row != label_line:
                yield row


def _import_postgres(path: Path, provider: str, credit_source: str, progress) -> FileResult:
    """COPY the rows as text into a staging table (in chunks, reporting progress between them), then
    check and merge them with set-based SQL in one transaction (_merge). A CSV goes to COPY as it
    is (FORMAT csv); an XLSX row by row."""
    staging = f"credit_staging_{uuid.uuid4().hex[:12]}"
    xlsx = _is_xlsx(path)
    if xlsx:
        source = _text_cells(path)
        first = next(source, None)  # reads the header first: a bad one is refused before anything is created
        source = itertools.chain([first] if first is not None else [], source)
        columns = COLUMNS
    else:
        columns, header_bytes = _csv_columns(path)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {staging} (n bigint GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START 0), "
            + ", ".join(f"{c} text" for c in columns)
            + ")"
        )
        try:
            if xlsx:
                rows = _copy_rows(cursor, staging, source, progress)
            else:
                rows = _copy_csv(cursor, staging, columns, path, header_bytes, progress)
            result = _merge(cursor, staging, provider, credit_source, columns)
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {staging}")
            cursor.execute(f"DROP TABLE IF EXISTS {staging}_checked")
    return FileResult(result, rows)


def _csv_columns(path: Path) -> tuple[list[str], int]:
    """The staging columns in the file's order (unknown header cells become extra_N) and the size
    of the header line in bytes."""
    with open(path, "rb") as fh:
        line = fh.readline()
    cells = next(csv.reader([line.decode("utf-8-sig", errors="replace")]), [])
    names = _header(cells)
    return [name or f"extra_{i}" for i, name in enumerate(names)], len(line)


def _copy_rows(cursor, staging: str, source, progress) -> int:
    rows = 0
    while True:
        with cursor.copy(f"COPY {staging} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            written = 0
            for cells in source:
                copy.write_row(cells)
                written += 1
                if written == CHUNK:
                    break
        rows += written
        if progress:
            progress(rows)
        if written < CHUNK:
            return rows


BLOCK = 8 * 1024 * 1024


def _copy_csv(cursor, staging: str, columns: list[str], path: Path, header_bytes: int, progress) -> int:
    """Stream the file's bytes to COPY … (FORMAT csv), one COPY per ~8 MB block cut at a record
    boundary (a newline outside quotes: RFC 4180 doubles quotes inside fields, so the count of quote
    characters before it is even), reporting the rows copied after each block."""
    rows = 0
    with open(path, "rb") as fh:
        fh.seek(header_bytes)
        carry = b""
        while True:
            block = fh.read(BLOCK)
            data = carry + block
            if not data:
                break
            if block:
                cut = _record_boundary(data)
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if data.strip():
                with cursor.copy(f"COPY {staging} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
                    copy.write(data)
                rows += cursor.rowcount if cursor.rowcount >= 0 else data.count(b"\n")
            if progress:
                progress(rows)
            if not block:
                break
    return rows


def _record_boundary(data: bytes) -> int:
    """Index just after the last newline that ends a CSV record (0: none in this data)."""
    end = len(data)
    while True:
        cut = data.rfind(b"\n", 0, end)
        if cut < 0:
            return 0
        if data.count(b'"', 0, cut) % 2 == 0:
            return cut + 1
        end = cut


def _raw(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)


# The checks of services.check_values, as SQL over the staging table's text (the tests run the same
# files through both and expect the same codes), then the person: unknown, or another name. Plain
# string functions, not regular expressions: at a million rows each regex costs seconds.
CHECKED_SQL = """
CREATE TEMP TABLE {checked} AS
SELECT s.n, r.id AS record_id,
  CASE
    WHEN s.external_id = '' OR length(s.external_id) > 64 THEN 'missing_field'
    WHEN length(s.year) <> 4 OR translate(s.year, '0123456789', '') <> '' THEN 'bad_year'
    WHEN s.year::int < {first_year} OR s.year::int > %(this_year)s THEN 'bad_year'
    WHEN (CASE s.subject {subjects} END) IS NULL THEN 'bad_subject'
    WHEN length(s.credits) NOT BETWEEN 1 AND 12 OR translate(s.credits, '0123456789', '') NOT IN ('', '.')
         OR s.credits LIKE '.%%' OR s.credits LIKE '%%.' OR length(split_part(s.credits, '.', 1)) > 4 THEN 'bad_credits'
    WHEN s.credits::numeric <= 0 OR s.credits::numeric > 999.5 OR mod(s.credits::numeric * 2, 1) <> 0 THEN 'bad_credits'
    WHEN s.hours <> '' AND (length(s.hours) > 12 OR translate(s.hours, '0123456789', '') NOT IN ('', '.')
         OR s.hours LIKE '.%%' OR s.hours LIKE '%%.' OR length(split_part(s.hours, '.', 1)) > 4) THEN 'bad_credits'
    WHEN s.completed_on <> '' AND (length(s.completed_on) <> 10 OR translate(s.completed_on, '0123456789', '') <> '--'
         OR substr(s.completed_on, 5, 1) <> '-' OR substr(s.completed_on, 8, 1) <> '-') THEN 'bad_date'
    WHEN s.completed_on <> '' AND (substr(s.completed_on, 6, 2)::int NOT BETWEEN 1 AND 12
         OR substr(s.completed_on, 9, 2)::int < 1) THEN 'bad_date'
    WHEN s.completed_on <> '' AND substr(s.completed_on, 9, 2)::int > extract(day FROM make_date(
         substr(s.completed_on, 1, 4)::int, substr(s.completed_on, 6, 2)::int, 1) + interval '1 month - 1 day') THEN 'bad_date'
    WHEN s.completed_on <> '' AND substr(s.completed_on, 1, 4) <> s.year THEN 'bad_year'
    WHEN s.completed_on <> '' AND s.completed_on::date > %(today)s THEN 'future_date'
    WHEN r.id IS NULL THEN 'unknown_person'
    WHEN r.name <> s.name THEN 'name_mismatch'
  END AS code
FROM {trimmed} s LEFT JOIN records_record r ON r.id_number = s.id_number
"""

INSERT_SQL = """
INSERT INTO credits_creditrecord (record_id, year, subject, credits, hours, source, course, provider, completed_on,
                                  external_id, status, created_at)
SELECT DISTINCT ON (s.external_id) c.record_id, s.year::smallint, CASE s.subject {subjects} END, s.credits::numeric(6,1),
       nullif(s.hours, '')::numeric(6,1), %(source)s, left(s.course, 200), %(provider)s,
       nullif(s.completed_on, '')::date, s.external_id, %(status)s, now()
FROM {checked} c JOIN {trimmed} s ON s.n = c.n
WHERE c.code IS NULL
ORDER BY s.external_id, s.n
ON CONFLICT (provider, external_id) WHERE NOT (external_id = '') DO NOTHING
"""


def _trimmed(staging: str) -> str:
    """The staging rows with every value trimmed (ID numbers upper-cased like the records'), computed
    once per row where it is read instead of rewriting the table."""
    values = ", ".join(
        f"upper(btrim(coalesce({c}, ''))) AS {c}" if c == "id_number" else f"btrim(coalesce({c}, '')) AS {c}"
        for c in COLUMNS
    )
    return f"(SELECT n, {values} FROM {staging})"


def _merge(cursor, staging: str, provider: str, source: str, columns: list[str]) -> ImportResult:
    """One transaction: normalise the text in place, check every row, insert the good ones once per
    external_id (the earliest row wins; one already there is a duplicate), list the rejected ones."""
    from .services import FIRST_YEAR, SUBJECT_WORDS
    from .services import today as local_today

    today = local_today()
    checked = f"{staging}_checked"
    subjects = " ".join(f"WHEN '{word}' THEN '{code}'" for word, code in SUBJECT_WORDS.items())
    with transaction.atomic():
        _lock_provider(provider)
        cursor.execute("SET LOCAL work_mem = '256MB'")  # the sorts and hashes of one import stay in memory
        for missing in (c for c in COLUMNS if c not in columns):
            cursor.execute(f"ALTER TABLE {staging} ADD COLUMN {missing} text")
        cursor.execute(f"ANALYZE {staging}")
        cursor.execute(
            CHECKED_SQL.format(checked=checked, trimmed=_trimmed(staging), first_year=FIRST_YEAR, subjects=subjects),
            {"this_year": today.year, "today": today},
        )
        cursor.execute(f"SELECT count(*) FROM {checked} WHERE code IS NULL")
        valid = cursor.fetchone()[0]
        cursor.execute(
            INSERT_SQL.format(checked=checked, trimmed=_trimmed(staging), subjects=subjects),
            {"source": source, "provider": provider, "status": CreditStatus.ACCEPTED},
        )
        accepted = cursor.rowcount
        cursor.execute(
            f"SELECT c.n, c.code, {', '.join('s.' + c for c in COLUMNS)} FROM {checked} c JOIN {staging} s ON s.n = c.n"
            " WHERE c.code IS NOT NULL ORDER BY c.n"
        )
        rejected = [
            {"index": n, "code": code, "row": dict(zip(COLUMNS, values, strict=True))}
            for n, code, *values in cursor.fetchall()
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
