"""Statistics and exports for staff (API.md "Statistics and exports")."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from registry.audit.services import client_ip
from registry.core.downloads import CSV_TYPE, XLSX_TYPE, file_response
from registry.stats import exports
from registry.stats.models import ExportJob
from registry.stats.selectors import stats_summary

from .errors import ApiError
from .security import account_auth

router = Router(tags=["统计与导出"], auth=account_auth)


class ReviewFigures(Schema):
    median_days: float | None = Field(description="近90天审结的每轮审核用时（工作日）中位数")
    overdue: int
    waiting: int
    decided_by_month: dict[str, int]


class SummaryOut(Schema):
    as_of: dt.datetime | None = Field(description="统计数据的截止时间（定时任务刷新）")
    pending: int = Field(description="尚未计入统计的已变更记录数（大批量刷新分多次完成）")
    districts: list[str]
    total: int
    by_district: dict[str, int]
    by_qualification_level: dict[str, int]
    by_education: dict[str, int]
    by_age_band: dict[str, int]
    by_gender: dict[str, int]
    by_unit_type: dict[str, int]
    by_category: dict[str, int]
    by_status: dict[str, int]
    flows: dict[str, dict[str, int]]
    ce_compliance: dict[str, dict[str, float | None]]
    review: ReviewFigures


@router.get("/stats/summary", response=SummaryOut, summary="统计汇总（审核员仅本人负责的区）")
def summary(request, region: str | None = None, district: str | None = None):
    return stats_summary(user=request.user, region=region, district=district)


# --- Exports ------------------------------------------------------------------------------------


class ExportJobOut(Schema):
    id: str
    status: str
    format: str
    rows: int
    filters: dict
    created_at: dt.datetime
    finished_at: dt.datetime | None
    download: str | None = Field(description="准备好后的下载地址（仅申请导出的本人可下载）")


def job_out(job) -> ExportJobOut:
    return ExportJobOut(
        id=str(job.pk),
        status=job.status,
        format=job.fmt,
        rows=job.rows,
        filters=job.filters,
        created_at=job.created_at,
        finished_at=job.finished_at,
        download=f"/api/v1/exports/jobs/{job.pk}/download" if job.status == "ready" else None,
    )


def people_export(request, fmt: str, district: str, level: str, status: str):
    filters = exports.clean_filters(user=request.user, district=district, level=level, status=status)
    result = exports.people_export(user=request.user, fmt=fmt, filters=filters, ip=client_ip(request))
    if isinstance(result, ExportJob):
        return Status(202, job_out(result))
    return exports.download_response(result, fmt, exports.export_filename(fmt))


EXPORT_RESPONSES = {202: ExportJobOut}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
BINARY = {"schema": {"type": "string", "format": "binary"}}


def file_doc(*types: str, conflict: bool = False) -> dict:
    """The streamed file of a 200 (and for a background job: 409 not ready, 410 expired) in the OpenAPI schema."""
    responses = {200: {"description": "文件（附件下载）", "content": {t: BINARY for t in types}}}
    if conflict:
        responses[409] = {"description": "导出文件尚未生成完毕", "content": PROBLEM}
        responses[410] = {
            "description": "导出文件已超过保留期并已删除（EXPORT_KEEP_HOURS），须重新导出",
            "content": PROBLEM,
        }
    return {"responses": responses}


@router.get(
    "/exports/people.csv",
    response=EXPORT_RESPONSES,
    summary="导出人员名单 CSV（UTF-8 BOM，流式）",
    openapi_extra=file_doc(CSV_TYPE),
)
def people_csv(request, district: str = "", level: str = "", status: str = ""):
    """Rows above EXPORT_SYNC_MAX_ROWS: 202 with a background job; download when `status` is ready."""
    return people_export(request, "csv", district, level, status)


@router.get(
    "/exports/people.xlsx", response=EXPORT_RESPONSES, summary="导出人员名单 XLSX", openapi_extra=file_doc(XLSX_TYPE)
)
def people_xlsx(request, district: str = "", level: str = "", status: str = ""):
    return people_export(request, "xlsx", district, level, status)


@router.get("/exports/stats.{fmt}", summary="导出统计表（CSV 或 XLSX）", openapi_extra=file_doc(CSV_TYPE, XLSX_TYPE))
def stats_tables(request, fmt: str, district: str = ""):
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "未找到。")
    filters = exports.clean_filters(user=request.user, district=district)
    result = exports.stats_export(user=request.user, filters=filters, fmt=fmt, ip=client_ip(request))
    name = f"stats-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    return exports.download_response(result, fmt, name)


@router.get("/exports/jobs/{job_id}", response=ExportJobOut, summary="后台导出任务的状态")
def export_job(request, job_id: str):
    try:
        return job_out(exports.export_job_for(user=request.user, job_id=job_id))
    except ValidationError:
        raise ApiError(404, "not_found", "未找到该导出任务。") from None


@router.get(
    "/exports/jobs/{job_id}/download",
    summary="下载后台导出的文件（仅本人）",
    openapi_extra=file_doc(CSV_TYPE, XLSX_TYPE, conflict=True),
)
def export_job_download(request, job_id: str):
    try:
        job, path = exports.export_job_download(user=request.user, job_id=job_id, ip=client_ip(request))
    except ValidationError:
        raise ApiError(404, "not_found", "未找到该导出任务。") from None
    content_type = CSV_TYPE if job.fmt == "csv" else XLSX_TYPE
    return file_response(path, exports.export_filename(job.fmt, job.created_at), content_type)
