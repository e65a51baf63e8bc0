"""Importing a file of existing records (API.md "Import of existing records and claiming them").

Each row is checked on its own (rows.check_row: the form's validation); a bad row goes to the report
and never blocks the others. The rows that pass are merged into the registry set-based: on
PostgreSQL they are COPied into a temporary staging table and merged in one transaction; an ID
number already in the registry is reported and never overwritten, and a second run of the same file
(same source, same ID numbers) changes nothing.
"""

import contextlib
import datetime as dt
import itertools
import logging
import multiprocessing
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from registry.accounts import access
from registry.applications.validation import CodeTables
from registry.audit.services import audit_record
from registry.core import validators
from registry.core.errors import ServiceError
from registry.core.jobs import enqueue
from registry.records import imported as records_imported

from .models import BatchStatus, ImportBatch, ImportedPerson
from .reading import Mapping, Reader
from .report import build_report
from .rows import check_row

logger = logging.getLogger("registry.imports")
SOURCE_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,33}")
CHUNK = 5000


def _check_source(source: str) -> str:
    source = (source or "").strip()
    if not SOURCE_PATTERN.fullmatch(source):
        raise ServiceError(
            "invalid_source", "来源名称须为1至33位字母、数字、下划线或连字符（如 bj2019）。", field="source"
        )
    return source


def batch_create(
    *, source: str, file_name: str, mapping: Mapping | None = None, actor=None, upload: bytes | None = None
):
    return ImportBatch.objects.create(
        source=_check_source(source),
        file_name=file_name[:200],
        mapping=(mapping or Mapping()).as_dict(),
        created_by=actor if actor is not None and actor.pk else None,
        upload=upload,
    )


def check_upload_size(size: int) -> None:
    if size > settings.IMPORT_UPLOAD_MAX_BYTES:
        raise ServiceError(
            "file_too_large",
            f"文件超过 {settings.IMPORT_UPLOAD_MAX_BYTES // 1_000_000} MB，请拆分，或由运维人员使用 import_records 命令导入。",
            status=413,
            field="file",
        )


def import_upload(*, actor, file_name: str, content: bytes, source: str, mapping: dict | None = None) -> ImportBatch:
    """The admin page: the file waits in its batch row and a background job imports it."""
    from . import tasks

    if not access.is_admin(actor):
        raise ServiceError("forbidden", "仅市财政局管理员可以导入存量数据。", status=403)
    check_upload_size(len(content))
    with transaction.atomic():
        batch = batch_create(
            source=source, file_name=file_name, mapping=Mapping.from_dict(mapping), actor=actor, upload=content
        )
        audit_record(
            action="import.upload",
            actor=actor,
            target=batch,
            details={"source": batch.source, "file": batch.file_name, "bytes": len(content)},
        )
        enqueue(tasks.import_batch, str(batch.pk), background=True)
    return batch


def import_batch_run(batch_id) -> ImportBatch:
    """The background job of an uploaded batch; idempotent (a finished batch is left alone, and a
    batch run twice imports nothing twice)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.finished or batch.upload is None:
        return batch
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(batch.file_name).name
        path.write_bytes(bytes(batch.upload))
        try:
            import_file(path=path, batch=batch, mapping=Mapping.from_dict(batch.mapping))
        except ServiceError as exc:
            _failed(batch, exc.message)
        except Exception:
            logger.exception("import batch %s failed", batch.pk)
            _failed(batch, "导入时发生系统错误。请联系运维人员查看日志后重新上传同一文件（已导入的行不会重复导入）。")
    ImportBatch.objects.filter(pk=batch.pk).update(upload=None)
    batch.refresh_from_db()
    return batch


def _failed(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.FAILED, error=message, finished_at=timezone.now(), upload=None
    )


def _progress(batch: ImportBatch, **fields) -> None:
    for key, value in fields.items():
        setattr(batch, key, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)


_worker_state: dict = {}


def _worker_init(tables, today) -> None:
    _worker_state.update(tables=tables, today=today)


def _check(row_no: int, row: dict, raw: list, tables, today) -> tuple:
    """A checked row as a small tuple of strings (cheap to send back from a worker process), the
    form already JSON-encoded when it passed."""
    checked = check_row(row, tables=tables, today=today)
    problems = [(p.code, p.field, p.message) for p in checked.problems]
    data = "" if problems else checked.form_json
    return (
        row_no,
        checked.id_number,
        checked.name[:50],
        checked.district,
        data,
        checked.phone,
        checked.password_hash,
        checked.collected_on,
        problems,
        raw,  # for the report, also of a row that turns out to repeat an earlier one
    )


def _worker_check(chunk):
    tables, today = _worker_state["tables"], _worker_state["today"]
    return [_check(row_no, row, raw, tables, today) for row_no, row, raw in chunk]


def _chunks(rows, size):
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


class _Run:
    """One pass over a file: rejected rows for the report, accepted rows in chunks to the merge."""

    def __init__(self, batch: ImportBatch, reader: Reader, workers: int = 1):
        self.batch, self.reader, self.workers = batch, reader, workers
        self.tables, self.today = CodeTables(), dt.date.today()
        self.rejected: list[dict] = []
        self.seen: dict[str, int] = {}
        self.total = 0
        self.merge_seconds = 0.0
        self.pool = None

    def checked(self):
        """`_check` tuples in file order; with workers > 1 the rows are checked
        in that many forked processes (they only compute: code tables and regions are read here,
        before the fork, and the database is not used by them)."""
        if self.pool is None:
            for row_no, row, raw in self.reader:
                yield _check(row_no, row, raw, self.tables, self.today)
            return
        for results in self.pool.imap(_worker_check, _chunks(iter(self.reader), 1000)):
            yield from results

    @contextlib.contextmanager
    def workers_started(self):
        """Fork the checking processes first, before this connection holds the staging table."""
        if self.workers <= 1:
            yield
            return
        validators.validate_resident_id("110105199003070033")  # fills the region cache before the fork
        connections.close_all()  # a forked child must not share the parent's connection
        context = multiprocessing.get_context("fork")
        with context.Pool(self.workers, initializer=_worker_init, initargs=(self.tables, self.today)) as pool:
            self.pool = pool
            try:
                yield
            finally:
                self.pool = None

    def rows(self):
        """Yields the accepted rows as dicts; records the rejected ones."""
        for (
            row_no,
            id_number,
            name,
            district,
            data,
            phone,
            password_hash,
            collected_on,
            problems,
            raw,
        ) in self.checked():
            self.total += 1
            if not problems and id_number in self.seen:
                problems = [("duplicate_in_file", "id_number", f"与第 {self.seen[id_number]} 行的证件号码重复")]
            if problems:
                self.rejected.append(
                    {"row_no": row_no, "id_number": id_number, "name": name, "problems": problems, "raw": raw}
                )
                continue
            self.seen[id_number] = row_no
            yield {
                "row_no": row_no,
                "id_number": id_number,
                "name": name,
                "district": district,
                "data": data,  # JSON text
                "phone": phone,
                "password_hash": password_hash,
                "collected_on": collected_on,
            }
            if self.total % CHUNK == 0:
                _progress(self.batch, processed=self.total)


def import_file(
    *, path, source: str = "", mapping: Mapping | None = None, actor=None, batch=None, workers: int = 1
) -> ImportBatch:
    """Import `path` (CSV or XLSX). Returns the finished batch: counts and the report of rows not
    imported (also what the command writes next to the file). `workers` > 1 checks rows in that
    many processes (the command's --workers; never inside a request or an open transaction)."""
    path = Path(path)
    if batch is None:
        batch = batch_create(source=source, file_name=path.name, mapping=mapping, actor=actor)
    _progress(batch, status=BatchStatus.RUNNING)
    run = _Run(batch, Reader(path, mapping), workers=workers)
    started = time.monotonic()
    with run.workers_started():
        if connection.vendor == "postgresql":
            imported, already = _merge_postgres(run)
        else:
            imported, already = _merge_rows(run)
    batch.timings = {"total": time.monotonic() - started, "merge": run.merge_seconds}  # for bench/
    report = build_report(header=run.reader.header, rows=run.rejected + already) if run.rejected or already else None
    staged = len(run.seen)
    _progress(
        batch,
        status=BatchStatus.DONE,
        total=run.total,
        processed=run.total,
        imported=imported,
        rejected=len(run.rejected),
        already_present=staged - imported,
        report=report,
        upload=None,  # an uploaded file does not stay in the database
        finished_at=timezone.now(),
    )
    audit_record(
        action="import.run",
        actor=batch.created_by,
        target=batch,
        details={
            "source": batch.source,
            "file": batch.file_name,
            "total": run.total,
            "imported": imported,
            "rejected": len(run.rejected),
            "already_present": staged - imported,
        },
    )
    return batch


def _already_collected(row) -> dict:
    row_no, id_number, name = row
    return {
        "row_no": row_no,
        "id_number": id_number,
        "name": name,
        "problems": [("already_collected", "id_number", "该证件号码已在本系统中（已采集），未覆盖原记录")],
    }


def _merge_postgres(run: _Run) -> tuple[int, list[dict]]:
    table = f"import_staging_{secrets.token_hex(6)}"
    columns = ("row_no", "id_number", "name", "district", "data", "phone", "password_hash", "collected_on")
    with connection.cursor() as cursor:
        records_imported.staging_create(cursor, table)
        try:
            chunk: list[tuple] = []

            def flush():
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for item in chunk:
                        copy.write_row(item)
                chunk.clear()

            for row in run.rows():
                chunk.append(
                    (
                        row["row_no"],
                        row["id_number"],
                        row["name"],
                        row["district"],
                        row["data"],
                        row["phone"],
                        row["password_hash"],
                        row["collected_on"],
                    )
                )
                if len(chunk) >= CHUNK:
                    flush()
            if chunk:
                flush()
            cursor.execute(f"ANALYZE {table}")
            # In the registry already, and not from this source's earlier run: reported, never overwritten.
            cursor.execute(
                f"""SELECT s.row_no, s.id_number, s.name FROM {table} s
                JOIN records_record r ON r.id_number = s.id_number
                WHERE NOT EXISTS (SELECT 1 FROM imports_importedperson ip WHERE ip.record_id = r.id AND ip.source = %s)""",
                [run.batch.source],
            )
            already = [_already_collected(r) for r in cursor.fetchall()]
            merge_started = time.monotonic()
            with transaction.atomic():
                imported = records_imported.records_create_imported(
                    cursor=cursor, table=table, source=run.batch.source, actor_id=run.batch.created_by_id
                )
                cursor.execute(
                    f"""INSERT INTO imports_importedperson
                        (record_id, source, id_number, phone, password_hash, collected_on, batch_id, claimed_via)
                    SELECT c.record_id, %s, s.id_number, coalesce(s.phone, ''), coalesce(s.password_hash, ''),
                        s.collected_on, %s, ''
                    FROM {table}_created c JOIN {table} s ON s.id_number = c.id_number""",
                    [run.batch.source, run.batch.pk],
                )
            run.merge_seconds = time.monotonic() - merge_started
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {table}, {table}_created")
    return imported, already


def _merge_rows(run: _Run) -> tuple[int, list[dict]]:
    """The embedded database: the same merge through the ORM, a chunk at a time."""
    imported, already = 0, []
    chunk: list[dict] = []

    def flush():
        nonlocal imported
        ours = set(
            ImportedPerson.objects.filter(
                source=run.batch.source, id_number__in=[r["id_number"] for r in chunk]
            ).values_list("id_number", flat=True)
        )
        from registry.records.models import Record

        taken = set(
            Record.objects.filter(id_number__in=[r["id_number"] for r in chunk]).values_list("id_number", flat=True)
        )
        already.extend(
            _already_collected((r["row_no"], r["id_number"], r["name"]))
            for r in chunk
            if r["id_number"] in taken and r["id_number"] not in ours
        )
        with transaction.atomic():
            created = records_imported.records_create_imported_rows(
                rows=[r for r in chunk if r["id_number"] not in taken],
                source=run.batch.source,
                actor_id=run.batch.created_by_id,
            )
            ImportedPerson.objects.bulk_create(
                ImportedPerson(
                    record=created[r["id_number"]],
                    source=run.batch.source,
                    id_number=r["id_number"],
                    phone=r["phone"],
                    password_hash=r["password_hash"],
                    collected_on=r["collected_on"],
                    batch=run.batch,
                )
                for r in chunk
                if r["id_number"] in created
            )
        imported += len(created)
        chunk.clear()

    for row in run.rows():
        chunk.append(row)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return imported, already


def import_report_read(*, batch: ImportBatch, actor, ip: str | None = None) -> bytes | None:
    """The rejected-rows report of a batch (it repeats the file's personal data): audited."""
    report = type(batch).objects.filter(pk=batch.pk).values_list("report", flat=True).first()
    if not report:
        return None
    audit_record(action="import.report_download", actor=actor, target=batch, ip=ip)
    return bytes(report)
