"""Statistics and exports for staff (API.md "Statistics and exports")."""

import datetime as dt

from ninja import Field, Router, Schema

from registry.stats.selectors import stats_summary

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
