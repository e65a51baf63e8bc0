"""Importing a file of existing records (API.md "Import of existing records and claiming them").

Each row is checked on its own (rows.check_row: the form's validation); a bad row goes to the report
and never blocks the others. The rows that pass are merged into the registry set-based: on
PostgreSQL they are COPied into a staging table and merged a part (PART rows) at a time, each part
in its own transaction while the next one is checked; an ID number already in the registry is
reported and never overwritten, and a second run of the same file (same source, same ID numbers)
changes nothing — and finishes a run that stopped half-way.
"""

import contextlib
import datetime as dt
import logging
import multiprocessing
import queue
import re
import secrets
import tempfile
import threading
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
from .reading import Mapping, Reader, decode_csv, rows_of_block
from .report import build_report
from .rows import check_row

logger = logging.getLogger("registry.imports")
SOURCE_PATTERN = re.compile(r"[A-Za-z0-9_\-]{1,33}")
CHUNK = 5000  # rows a COPY, and between two progress updates
PART = 50_000  # rows merged and committed together (PostgreSQL), while the next ones are checked
BLOCK = 1000  # rows a checking process takes at a time
IN_FLIGHT = 100  # blocks read ahead of the rows taken back (memory: about 150 MB of checked rows)


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


def check_upload_kind(content: bytes) -> None:
    """An XLSX (a zip) or a text CSV in UTF-8 or GBK, told on the form, not later as a failed batch
    (a picture uploaded by mistake became a batch that failed with "CSV 文件编码无法识别")."""
    if content.startswith(b"PK\x03\x04"):
        return
    text_like = b"\x00" not in content
    if text_like:
        try:
            decode_csv(content)
        except ServiceError:
            text_like = False
    if not text_like:
        raise ServiceError(
            "unreadable_file", "只能导入 CSV（UTF-8 或 GBK 编码）或 XLSX 文件，该文件两者都不是。", field="file"
        )


def import_upload(*, actor, file_name: str, content: bytes, source: str, mapping: dict | None = None) -> ImportBatch:
    """The admin page: the file waits in its batch row and a background job imports it."""
    from . import tasks

    if not access.is_admin(actor):
        raise ServiceError("forbidden", "仅市财政局管理员可以导入存量数据。", status=403)
    check_upload_size(len(content))
    check_upload_kind(content)
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


def _worker_init(reader: Reader, tables, today, lines: bool) -> None:
    _worker_state.update(reader=reader, tables=tables, today=today, lines=lines)


def _copy_text(value: str) -> str:
    """A value in COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _check_block(block) -> tuple[int, list, list]:
    """Checks one block of `Reader.blocks`, where it is read (a checking process, or this one):
    (rows in the block, accepted, rejected). Accepted: (index in the block, ID number, name, the
    cells — one string when it can be split again —, what the merge needs: the staging line for
    COPY on PostgreSQL, a tuple otherwise). Rejected: (index, ID number, name, problems, cells).
    Small strings only, so that little is pickled back."""
    state = _worker_state
    reader, tables, today, lines = state["reader"], state["tables"], state["today"], state["lines"]
    accepted, rejected = [], []
    count = 0
    for count, raw in enumerate(rows_of_block(block), start=1):
        if not any(raw):
            continue
        checked = check_row(reader.row_of(raw), tables=tables, today=today)
        name = checked.name[:50]
        if checked.problems:
            problems = [(p.code, p.field, p.message) for p in checked.problems]
            rejected.append((count, checked.id_number, name, problems, raw))
            continue
        cells = "\x1f".join(raw)
        if cells.count("\x1f") != len(raw) - 1:
            cells = raw  # a cell holds the separator itself
        collected_on = checked.collected_on
        if lines:
            payload = "\t".join(
                (
                    checked.id_number,
                    _copy_text(name),
                    checked.district,
                    _copy_text(checked.form_json),
                    _copy_text(checked.phone),
                    _copy_text(checked.password_hash),
                    collected_on.isoformat() if collected_on else "\\N",
                )
            )
        else:
            payload = (checked.district, checked.form_json, checked.phone, checked.password_hash, collected_on)
        accepted.append((count, checked.id_number, name, cells, payload))
    return count, accepted, rejected


class _Run:
    """One pass over a file: rejected rows for the report, accepted rows to the merge."""

    def __init__(self, batch: ImportBatch, reader: Reader, workers: int = 1, lines: bool = False):
        self.batch, self.reader, self.workers, self.lines = batch, reader, workers, lines
        self.tables, self.today = CodeTables(), dt.date.today()
        self.rejected: list[dict] = []
        self.seen: dict[str, int] = {}
        self.total = 0
        self.merge_seconds = 0.0
        self.merge_wait = 0.0
        self.pool = None
        self.room = threading.Semaphore(IN_FLIGHT)
        self.stop = threading.Event()

    def _blocks(self):
        """The reader's blocks, at most IN_FLIGHT ahead of those taken back: the pool reads its
        input in a thread of its own as fast as it can, which would hold the whole file's checked
        rows in memory while a part is merged."""
        for block in self.reader.blocks(BLOCK):
            while not self.room.acquire(timeout=0.2):
                if self.stop.is_set():
                    return
            yield block

    def checked(self):
        """`_check_block` results in file order; with workers > 1 the blocks are checked in that
        many forked processes (they only compute: code tables and regions are read here, before
        the fork, and the database is not used by them)."""
        if self.pool is None:
            for block in self.reader.blocks(BLOCK):
                yield _check_block(block)
            return
        for result in self.pool.imap(_check_block, self._blocks()):
            self.room.release()
            yield result

    @contextlib.contextmanager
    def workers_started(self):
        """Reads the header, then forks the checking processes, before this connection holds a
        staging table."""
        self.reader.open()
        _worker_init(self.reader, self.tables, self.today, self.lines)
        if self.workers <= 1:
            yield
            return
        validators.validate_resident_id("110105199003070033")  # fills the region cache before the fork
        connections.close_all()  # a forked child must not share the parent's connection
        context = multiprocessing.get_context("fork")
        with context.Pool(
            self.workers, initializer=_worker_init, initargs=(self.reader, self.tables, self.today, self.lines)
        ) as pool:
            self.pool = pool
            try:
                yield
            finally:
                self.stop.set()
                self.pool = None

    def rows(self):
        """(row number, ID number, payload) of the accepted rows; records the rejected ones."""
        number = 1  # the header's
        for count, accepted, rejected in self.checked():
            before = self.total
            self.total += len(accepted) + len(rejected)
            for index, id_number, name, problems, raw in rejected:
                self.rejected.append(
                    {"row_no": number + index, "id_number": id_number, "name": name, "problems": problems, "raw": raw}
                )
            for index, id_number, name, cells, payload in accepted:
                row_no = number + index
                first = self.seen.get(id_number)
                if first is not None:
                    self.rejected.append(
                        {
                            "row_no": row_no,
                            "id_number": id_number,
                            "name": name,
                            "problems": [("duplicate_in_file", "id_number", f"与第 {first} 行的证件号码重复")],
                            "raw": cells.split("\x1f") if isinstance(cells, str) else cells,
                        }
                    )
                    continue
                self.seen[id_number] = row_no
                yield row_no, id_number, name, payload
            number += count
            if self.total // CHUNK != before // CHUNK:
                _progress(self.batch, processed=self.total)


def import_file(
    *, path, source: str = "", mapping: Mapping | None = None, actor=None, batch=None, workers: int = 1
) -> ImportBatch:
    """Import `path` (CSV or XLSX). Returns the finished batch: counts and the report of rows not
    imported (also what the command writes next to the file). `workers` > 1 checks rows in that
    many processes (the command's --workers; never inside a request or an open transaction).

    The rows are merged and committed a part (PART rows) at a time, while the next ones are
    checked: a run that stops half-way leaves whole parts imported, and running the same file
    again (same source) imports the rest and nothing twice."""
    path = Path(path)
    if batch is None:
        batch = batch_create(source=source, file_name=path.name, mapping=mapping, actor=actor)
    _progress(batch, status=BatchStatus.RUNNING)
    postgres = connection.vendor == "postgresql"
    run = _Run(batch, Reader(path, mapping), workers=workers, lines=postgres)
    started = time.monotonic()
    with run.workers_started():
        if postgres:
            imported, already = _merge_postgres(run)
        else:
            imported, already = _merge_rows(run)
    batch.timings = {  # for bench/
        "total": time.monotonic() - started,
        "merge": run.merge_seconds,
        "merge_wait": run.merge_wait,
    }
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


class _Merger:
    """Merges the staged parts of a run, each in its own transaction. Outside a transaction it does
    so in a thread with its own connection, so that PostgreSQL merges one part while this process
    (and its checking processes) go on with the next; inside one (a test) it merges in place."""

    def __init__(self, run: _Run):
        self.run = run
        self.imported = 0
        self.already: list[dict] = []
        self.parts: list[str] = []
        self.error: BaseException | None = None
        self.threaded = not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'records_record'::regclass")
            self.known = self.registry = cursor.fetchone()[0]  # rows in the planner's statistics; rows now
        if self.threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._loop, name="import-merge", daemon=True)
            self.thread.start()

    def new_part(self, cursor) -> str:
        part = f"import_part_{secrets.token_hex(6)}"
        records_imported.staging_create(cursor, part)
        self.parts.append(part)
        return part

    def merge(self, part: str) -> None:
        if not self.threaded:
            self._merge(part)
            return
        self._put(part)

    def finish(self) -> None:
        if self.threaded:
            started = time.monotonic()
            self._put(None)
            self.thread.join()
            self.run.merge_wait = time.monotonic() - started
            if self.error:
                raise self.error

    def abort(self) -> None:
        """The run failed: let the part being merged finish, merge no other."""
        if not self.threaded:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                self.queue.get_nowait()
        with contextlib.suppress(queue.Full):
            self.queue.put_nowait(None)
        self.thread.join()

    def _put(self, item) -> None:
        while True:
            if self.error:
                raise self.error
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _loop(self) -> None:
        try:
            while (part := self.queue.get()) is not None:
                self._merge(part)
        except BaseException as exc:
            self.error = exc
        finally:
            connections.close_all()  # this thread's own

    def _merge(self, part: str) -> None:
        run, source = self.run, self.run.batch.source
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {part}")
            if self.registry > 2 * self.known:
                # The earlier parts at least doubled the registry since its statistics: autovacuum gets
                # there, but maybe not before this part, and a "nearly empty" estimate makes the query
                # below a nested loop that reads the whole table for every row (seen: 10 minutes for
                # 200,000 rows). Three times or so for a million rows into an empty registry.
                cursor.execute("ANALYZE records_record, imports_importedperson")
                self.known = self.registry
            # In the registry already, and not from this source's earlier run: reported, never overwritten.
            cursor.execute(
                f"""SELECT s.row_no, s.id_number, s.name FROM {part} s
                JOIN records_record r ON r.id_number = s.id_number
                WHERE NOT EXISTS (SELECT 1 FROM imports_importedperson ip WHERE ip.record_id = r.id AND ip.source = %s)""",
                [source],
            )
            already = [_already_collected(r) for r in cursor.fetchall()]
            with transaction.atomic():
                # A part lost by a crash after its commit is imported by the next run of the file (the
                # batch is not done before a synchronous commit, which flushes this one's WAL too);
                # memory for the joins and the sort of one part.
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL work_mem = '64MB'")
                imported = records_imported.records_create_imported(
                    cursor=cursor, table=part, source=source, actor_id=run.batch.created_by_id
                )
                cursor.execute(
                    f"""INSERT INTO imports_importedperson
                        (record_id, source, id_number, phone, password_hash, collected_on, batch_id, claimed_via)
                    SELECT c.record_id, %s, s.id_number, coalesce(s.phone, ''), coalesce(s.password_hash, ''),
                        s.collected_on, %s, ''
                    FROM {part}_created c JOIN {part} s ON s.id_number = c.id_number""",
                    [source, run.batch.pk],
                )
            cursor.execute(f"DROP TABLE IF EXISTS {part}, {part}_created")
        self.already += already
        self.imported += imported
        self.registry += imported
        ImportBatch.objects.filter(pk=run.batch.pk).update(imported=self.imported)
        run.merge_seconds += time.monotonic() - started


def _merge_postgres(run: _Run) -> tuple[int, list[dict]]:
    """The accepted rows are COPied into an UNLOGGED staging table, a part of PART rows each, and
    each part is merged (by `_Merger`) as soon as it is complete."""
    columns = ", ".join(records_imported.STAGING_COLUMNS)
    merger = _Merger(run)
    part, lines, staged = None, [], 0
    with connection.cursor() as cursor:

        def flush():
            nonlocal staged
            with cursor.cursor.copy(f"COPY {part} ({columns}) FROM STDIN") as copy:
                copy.write("".join(lines))
            staged += len(lines)
            lines.clear()

        try:
            for row_no, _, _, line in run.rows():
                if part is None:
                    part = merger.new_part(cursor)
                lines.append(f"{row_no}\t{line}\n")
                if len(lines) >= CHUNK:
                    flush()
                    if staged >= PART:
                        merger.merge(part)
                        part, staged = None, 0
            if lines:
                flush()
            if part is not None:
                merger.merge(part)
            merger.finish()
        except BaseException:
            merger.abort()
            raise
        finally:
            for made in merger.parts:
                cursor.execute(f"DROP TABLE IF EXISTS {made}, {made}_created")
    return merger.imported, merger.already


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

    for row_no, id_number, name, (district, data, phone, password_hash, collected_on) in run.rows():
        chunk.append(
            {
                "row_no": row_no,
                "id_number": id_number,
                "name": name,
                "district": district,
                "data": data,  # JSON text
                "phone": phone,
                "password_hash": password_hash,
                "collected_on": collected_on,
            }
        )
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
