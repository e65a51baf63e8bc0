"""Exports of person lists and statistics tables: CSV (UTF-8 with BOM, so Excel reads Chinese) and
XLSX, written row by row (constant memory), with spreadsheet formulas neutralised, ID numbers and
phones masked unless the user holds `stats.export_full_id_number`, and one audit row per export
(its filter, format and row count). Lists larger than EXPORT_SYNC_MAX_ROWS are written by a
background job in parts (`export_job_step`); the requester downloads the file when it is ready."""

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from registry.audit.services import audit_record
from registry.core.errors import ServiceError
from registry.core.masking import mask_id_number, mask_phone
from registry.core.models import Code, CodeKind, Region
from registry.core.replica import replica_reads
from registry.records.models import Record, RecordStatus, RecordVersion

from .facts import EDUCATION_RANK, LEVEL_RANK, _highest
from .labels import FLOW_LABELS, GENDERS, breakdown_sections
from .models import ExportJob, ExportStatus
from .selectors import visible_districts

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PEOPLE_HEADER = [
    "姓名",
    "证件号码",
    "性别",
    "出生日期",
    "手机号码",
    "管理区",
    "状态",
    "最高学历",
    "最高资格级别",
    "工作单位",
    "单位类型",
]
LEVEL_NONE = "none"  # the level filter for people without an accounting qualification (无资格)
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header
CHUNK = 2000


def neutralise(value) -> str:
    """A cell a spreadsheet would read as a formula (or as a DDE payload) is prefixed with an
    apostrophe, so it shows as the text it is (OWASP "CSV injection")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def may_export_full(user) -> bool:
    return bool(user.has_perm("stats.export_full_id_number"))


def clean_filters(*, user, district: str = "", level: str = "", status: str = "") -> dict:
    """Validated filters; districts limited to what the user may see (403 for another's district)."""
    codes = visible_districts(user, district=district or None)
    if level and level not in LEVEL_RANK and level != LEVEL_NONE:
        raise ServiceError("invalid_level", "资格级别不正确。", status=400, field="level")
    if status and status not in RecordStatus.values:
        raise ServiceError("invalid_status", "状态不正确。", status=400, field="status")
    return {"districts": codes, "district": district, "level": level, "status": status}


def _records(filters: dict):
    records = Record.objects.filter(district_id__in=filters["districts"])
    if filters["status"]:
        records = records.filter(status=filters["status"])
    else:
        records = records.exclude(status=RecordStatus.TRANSFERRED_OUT)
    return records


def count_upper_bound(filters: dict) -> int:
    return _records(filters).count()


def _labels() -> dict:
    codes = Code.objects.filter(
        kind__in=[CodeKind.QUALIFICATION_LEVEL, CodeKind.EDUCATION_LEVEL, CodeKind.UNIT_TYPE]
    ).values_list("kind", "code", "name")
    labels: dict[str, dict[str, str]] = {}
    for kind, code, name in codes:
        labels.setdefault(kind, {})[code] = name
    labels["region"] = dict(Region.objects.filter(is_reviewing_unit=True).values_list("code", "name"))
    labels["status"] = dict(RecordStatus.choices)
    return labels


@replica_reads
def people_rows(
    filters: dict, *, full: bool, after_id: int = 0, limit: int | None = None
) -> Iterator[tuple[int, list]]:
    """(record id, row) in record-id order, read in keyset chunks (constant memory on any database)."""
    labels = _labels()
    level_filter = filters["level"]
    records = _records(filters)
    produced = 0
    while True:
        ids = list(records.filter(pk__gt=after_id).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            return
        after_id = ids[-1]
        versions = (
            RecordVersion.objects.filter(record_id__in=ids, version=F("record__version"))
            .order_by("record_id")
            .values_list(
                "record_id",
                "record__name",
                "record__id_number",
                "record__district_id",
                "record__status",
                KT("data__basic__gender"),
                KT("data__basic__birth_date"),
                # The verified account phone is the record's phone (PRODUCT.md); the version keeps
                # the one it was approved with, so a phone changed since would be exported stale.
                Coalesce(NullIf("record__user__phone", Value("")), KT("data__basic__phone"), output_field=TextField()),
                KT("data__employment__unit_name"),
                KT("data__employment__unit_type"),
                "data__education",
                "data__qualifications",
            )
        )
        for rid, name, id_number, district, status, gender, birth, phone, unit, unit_type, edu, quals in versions:
            level = _highest(quals if isinstance(quals, list) else [], "level", LEVEL_RANK)
            if level_filter and (level or LEVEL_NONE) != level_filter:
                continue
            education = _highest(edu if isinstance(edu, list) else [], "level", EDUCATION_RANK)
            row = [
                name,
                id_number if full else mask_id_number(id_number),
                GENDERS.get(gender or "", ""),
                birth or "",
                (phone or "") if full else mask_phone(phone or ""),
                labels["region"].get(district, district),
                labels["status"].get(status, status),
                labels.get(CodeKind.EDUCATION_LEVEL, {}).get(education, education),
                labels.get(CodeKind.QUALIFICATION_LEVEL, {}).get(level, level) if level else "无",
                unit or "",
                labels.get(CodeKind.UNIT_TYPE, {}).get(unit_type or "", unit_type or ""),
            ]
            yield rid, [neutralise(v) for v in row]
            produced += 1
            if limit is not None and produced >= limit:
                return


class _Line:
    """csv.writer target that hands back what was written."""

    def write(self, value):
        return value


def csv_lines(header: list[str], rows) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow(row)


def _audit_export(
    *, user, kind: str, fmt: str, filters: dict, rows: int, full: bool, complete: bool, ip=None, job=None
):
    audit_record(
        action=f"export.{kind}",
        actor=user,
        target=job,
        district=filters.get("district") or "",
        ip=ip,
        details={
            "format": fmt,
            "filter": {k: filters[k] for k in ("district", "level", "status") if k in filters},
            "districts": len(filters.get("districts", [])),
            "rows": rows,
            "full_id_numbers": full,
            "complete": complete,
        },
    )


def people_csv_stream(*, user, filters: dict, ip=None) -> Iterator[str]:
    """The CSV as it is sent; the audit row (with the rows actually sent) is written when the stream
    ends — also when the download is broken off (complete: false)."""
    full = may_export_full(user)
    sent, complete = 0, False
    try:
        rows = (row for _, row in people_rows(filters, full=full))

        def counted():
            nonlocal sent
            for row in rows:
                sent += 1
                yield row

        yield from csv_lines(PEOPLE_HEADER, counted())
        complete = True
    finally:
        _audit_export(
            user=user, kind="people", fmt="csv", filters=filters, rows=sent, full=full, complete=complete, ip=ip
        )


def write_xlsx(path: Path, header: list[str], rows, *, title: str = "人员名单") -> int:
    """Write-only workbook: rows go to a temporary XML stream, never held in memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(header)
    count = 0
    for row in rows:
        if count >= XLSX_MAX_ROWS:
            raise ServiceError("xlsx_too_many_rows", "超过 Excel 单表行数上限，请改用 CSV 导出。", status=413)
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count


def people_xlsx_file(*, user, filters: dict, ip=None) -> Path:
    """A temporary XLSX file (the caller streams and removes it); audited with its row count."""
    full = may_export_full(user)
    handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
    os.close(handle)
    path = Path(name)
    try:
        rows = write_xlsx(path, PEOPLE_HEADER, (row for _, row in people_rows(filters, full=full)))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _audit_export(user=user, kind="people", fmt="xlsx", filters=filters, rows=rows, full=full, complete=True, ip=ip)
    return path


# --- Background exports --------------------------------------------------------------------------


def export_dir() -> Path:
    path = Path(settings.EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def export_job_create(*, user, fmt: str, filters: dict, ip=None) -> ExportJob:
    if fmt not in ("csv", "xlsx"):
        raise ServiceError("invalid_format", "导出格式只能是 CSV 或 XLSX。", status=400, field="format")
    job = ExportJob.objects.create(
        requested_by=user,
        fmt=fmt,
        filters={k: filters[k] for k in ("district", "level", "status")},
        full_id_numbers=may_export_full(user),
    )
    audit_record(
        action="export.queued",
        actor=user,
        target=job,
        district=filters.get("district") or "",
        ip=ip,
        details={"format": fmt, "filter": job.filters},
    )
    from registry.core.jobs import enqueue

    from .tasks import export_step

    enqueue(export_step, str(job.pk), background=True)
    return job


def _job_filters(job: ExportJob) -> dict:
    # The requester's districts now (a reviewer who lost a district no longer exports it).
    return clean_filters(user=job.requested_by, **job.filters)


def export_job_step(job_id: str) -> bool:
    """Write the next part of a background export; True when more parts remain. Idempotent: a
    retried part truncates the file back to what the job row says was written."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status in (ExportStatus.READY, ExportStatus.FAILED):
        return False
    try:
        filters = _job_filters(job)
    except ServiceError:  # the requester no longer sees these districts (or is no longer staff)
        export_job_fail(job.pk)
        return False
    path = export_dir() / f"{job.pk}.{job.fmt}"
    if job.fmt == "xlsx":
        rows = write_xlsx(path, PEOPLE_HEADER, (row for _, row in people_rows(filters, full=job.full_id_numbers)))
        _finish(job, rows=rows, size=path.stat().st_size, filters=filters)
        return False
    with open(path, "a+b") as fh:
        fh.truncate(job.size)
        fh.seek(job.size)
        if job.size == 0:
            fh.write((BOM + ",".join(PEOPLE_HEADER) + "\r\n").encode("utf-8"))
        writer_rows, last = 0, job.last_record_id
        lines = []
        writer = csv.writer(_Line())
        for rid, row in people_rows(
            filters, full=job.full_id_numbers, after_id=job.last_record_id, limit=settings.EXPORT_PART_ROWS
        ):
            lines.append(writer.writerow(row))
            writer_rows, last = writer_rows + 1, rid
            if len(lines) >= CHUNK:
                fh.write("".join(lines).encode("utf-8"))
                lines = []
        fh.write("".join(lines).encode("utf-8"))
        size = fh.tell()
    more = writer_rows >= settings.EXPORT_PART_ROWS
    if more:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.RUNNING, rows=job.rows + writer_rows, last_record_id=last, size=size
        )
    else:
        job.last_record_id = last
        _finish(job, rows=job.rows + writer_rows, size=size, filters=filters)
    return more


def export_job_fail(job_id: str) -> None:
    ExportJob.objects.filter(pk=job_id).exclude(status=ExportStatus.READY).update(
        status=ExportStatus.FAILED, finished_at=timezone.now()
    )


@transaction.atomic
def _finish(job: ExportJob, *, rows: int, size: int, filters: dict) -> None:
    updated = (
        ExportJob.objects.filter(pk=job.pk)
        .exclude(status=ExportStatus.READY)
        .update(
            status=ExportStatus.READY,
            rows=rows,
            size=size,
            last_record_id=job.last_record_id,
            file=f"{job.pk}.{job.fmt}",
            finished_at=timezone.now(),
        )
    )
    if updated:
        _audit_export(
            user=job.requested_by,
            kind="people",
            fmt=job.fmt,
            filters=filters,
            rows=rows,
            full=job.full_id_numbers,
            complete=True,
            job=job,
        )


@replica_reads  # the requester's own new job: read-your-writes keeps it on the primary
def export_job_for(*, user, job_id) -> ExportJob:
    """The requester's own job, or 404 (also for someone else's)."""
    job = ExportJob.objects.filter(pk=job_id, requested_by=user).first() if user.is_authenticated else None
    if job is None:
        raise ServiceError("not_found", "未找到该导出任务。", status=404)
    return job


def export_job_download(*, user, job_id, ip=None) -> tuple[ExportJob, Path]:
    try:
        job = export_job_for(user=user, job_id=job_id)
    except (ValueError, TypeError):
        raise ServiceError("not_found", "未找到该导出任务。", status=404) from None
    if job.status == ExportStatus.EXPIRED:
        raise ServiceError(
            "export_expired",
            f"导出文件已超过保留期（{settings.EXPORT_KEEP_HOURS} 小时）并已删除，请重新导出。",
            status=410,
        )
    if job.status != ExportStatus.READY:
        raise ServiceError("export_not_ready", "导出文件尚未生成完毕，请稍后再试。", status=409)
    audit_record(action="export.download", actor=user, target=job, ip=ip, details={"rows": job.rows, "format": job.fmt})
    return job, export_dir() / job.file


def exports_expire(now: dt.datetime | None = None) -> int:
    """Delete the files of exports older than EXPORT_KEEP_HOURS — ready ones since they finished, failed
    or abandoned ones since they were asked for — and mark the jobs expired. Personal data is not kept
    longer than the person who asked needs to download it. Returns the number of jobs expired."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.EXPORT_KEEP_HOURS)
    stale = ExportJob.objects.exclude(status=ExportStatus.EXPIRED).filter(
        Q(status=ExportStatus.READY, finished_at__lt=cutoff) | Q(~Q(status=ExportStatus.READY), created_at__lt=cutoff)
    )
    expired = 0
    for job in stale.only("pk", "fmt", "rows", "status").iterator(chunk_size=500):
        (export_dir() / f"{job.pk}.{job.fmt}").unlink(missing_ok=True)
        with transaction.atomic():
            if (
                ExportJob.objects.filter(pk=job.pk)
                .exclude(status=ExportStatus.EXPIRED)
                .update(status=ExportStatus.EXPIRED, file="")
            ):
                audit_record(
                    action="export.expired", target=job, details={"status": {"old": job.status, "new": "expired"}}
                )
                expired += 1
    return expired


def export_filename(fmt: str, when: dt.datetime | None = None) -> str:
    when = timezone.localtime(when or timezone.now())
    return f"people-{when:%Y%m%d-%H%M}.{fmt}"


# --- The statistics tables -----------------------------------------------------------------------

STATS_HEADER = ["统计表", "项目", "数值"]


def stats_table_rows(summary: dict) -> list[list[str]]:
    regions = dict(Region.objects.filter(code__in=summary["districts"]).values_list("code", "name"))
    sections = [("各区在册人数", summary["by_district"], regions)]
    sections += [(title, counts, labels) for _, title, counts, labels, _ in breakdown_sections(summary)]
    rows = [["在册人数合计", "", str(summary["total"])]]
    for title, counts, labels in sections:
        rows += [[title, labels.get(k, k), str(v)] for k, v in counts.items()]
    for month, flows in summary["flows"].items():
        rows += [[f"人员流动 {month}", FLOW_LABELS.get(k, k), str(v)] for k, v in flows.items()]
    for year, rates in summary["ce_compliance"].items():
        rows += [
            [f"继续教育达标率 {year}", regions.get(c, c), "" if r is None else f"{r:.2%}"] for c, r in rates.items()
        ]
    review = summary["review"]
    rows += [
        ["审核", "待审核", str(review["waiting"])],
        ["审核", "超期未审", str(review["overdue"])],
        ["审核", "用时中位数（工作日）", "" if review["median_days"] is None else str(review["median_days"])],
    ]
    return [[neutralise(v) for v in row] for row in rows]


def stats_export(*, user, filters: dict, fmt: str, ip=None):
    """The statistics tables as CSV lines (an iterator) or an XLSX temporary file path."""
    from .selectors import stats_summary

    summary = stats_summary(user=user, district=filters.get("district") or None)
    rows = stats_table_rows(summary)
    _audit_export(user=user, kind="stats", fmt=fmt, filters=filters, rows=len(rows), full=False, complete=True, ip=ip)
    if fmt == "csv":
        return csv_lines(STATS_HEADER, rows)
    handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="export-")
    os.close(handle)
    write_xlsx(Path(name), STATS_HEADER, rows, title="统计表")
    return Path(name)


def people_export(*, user, fmt: str, filters: dict, ip=None):
    """What the API and the page both do: an ExportJob when the list is large (background), else
    the CSV lines (an iterator, audited when sent) or a temporary XLSX file (audited)."""
    if fmt not in ("csv", "xlsx"):
        raise ServiceError("invalid_format", "导出格式只能是 CSV 或 Excel。", status=400, field="format")
    if count_upper_bound(filters) > settings.EXPORT_SYNC_MAX_ROWS:
        return export_job_create(user=user, fmt=fmt, filters=filters, ip=ip)
    if fmt == "csv":
        return people_csv_stream(user=user, filters=filters, ip=ip)
    return people_xlsx_file(user=user, filters=filters, ip=ip)


def download_response(result, fmt: str, filename: str):
    """The HTTP answer for an export's lines or temporary file."""
    from registry.core.downloads import csv_response, temporary_file_response

    return csv_response(result, filename) if fmt == "csv" else temporary_file_response(result, filename)
