"""Code tables as data: regions (GB/T 2260), the small national code lists, and the working-day calendar.

Admins edit these in the Django admin; `load_code_tables` (also run by a data migration) inserts
what is missing from the files in registry/core/data/ and never overwrites an admin's edit.
"""

from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    PREFECTURE = "prefecture", "地级"
    COUNTY = "county", "县级"
    MANAGEMENT_UNIT = "management_unit", "管理单元"  # reviews like a district, has no GB/T 2260 code


class RegionQuerySet(models.QuerySet):
    def current(self):
        return self.filter(valid_to_year__isnull=True)

    def reviewing_units(self):
        return self.filter(is_reviewing_unit=True, valid_to_year__isnull=True)

    def in_province(self, province_code: str):
        return self.filter(province_code=province_code[:2])


class Region(models.Model):
    """A node of the region tree: province → prefecture → county-level unit (or management unit).

    Codes no longer in use (110103 崇文区 …) stay as rows with `valid_to_year` set: they still
    appear in ID numbers and old records, but are not offered for new data.
    """

    code = models.CharField("代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=60)
    level = models.CharField("级别", max_length=20, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province_code = models.CharField("省级代码前两位", max_length=2, db_index=True)
    valid_from_year = models.PositiveSmallIntegerField("启用年份", null=True, blank=True)
    valid_to_year = models.PositiveSmallIntegerField("停用年份", null=True, blank=True)
    is_reviewing_unit = models.BooleanField(
        "审核单位", default=False, help_text="可配置审核员、受理采集申请的区县或管理单元"
    )
    bureau_name = models.CharField("财政局名称", max_length=80, blank=True)
    contact_phone = models.CharField("咨询电话", max_length=40, blank=True)
    contact_address = models.CharField("办公地址", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["sort_order", "code"]
        indexes = [models.Index(fields=["province_code", "is_reviewing_unit"], name="region_province_reviewing")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_current(self) -> bool:
        return self.valid_to_year is None

    @property
    def contact_text(self) -> str:
        parts = [self.bureau_name or self.name, self.contact_phone, self.contact_address]
        return " ".join(p for p in parts if p)


class CodeKind(models.TextChoices):
    ID_TYPE = "id_type", "证件类型"
    ETHNICITY = "ethnicity", "民族（GB/T 3304）"
    POLITICAL_STATUS = "political_status", "政治面貌（GB/T 4762）"
    REGISTRATION_CATEGORY = "registration_category", "登记类别"
    EDUCATION_LEVEL = "education_level", "学历"
    DEGREE = "degree", "学位"
    QUALIFICATION_SERIES = "qualification_series", "专业技术资格系列"
    QUALIFICATION_LEVEL = "qualification_level", "专业技术资格级别"
    QUALIFICATION_METHOD = "qualification_method", "资格取得方式"
    PRACTICING_KIND = "practicing_kind", "执业资格"
    EMPLOYMENT_STATUS = "employment_status", "任职状态"
    UNIT_TYPE = "unit_type", "单位类型"
    POSITION = "position", "职务（岗位）"
    INDUSTRY = "industry", "行业门类（GB/T 4754）"
    REJECTION_REASON = "rejection_reason", "标准驳回原因"
    CE_REJECTION_REASON = "ce_rejection_reason", "学分申报不通过原因"


class CodeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def of(self, kind: str):
        return self.filter(kind=kind)


class Code(models.Model):
    """One entry of a small code list. `extra` holds list-specific attributes (a level's title, the
    USCC prefixes of a unit type, an education level's rank)."""

    kind = models.CharField("代码表", max_length=40, choices=CodeKind.choices)
    code = models.CharField("代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    sort_order = models.PositiveIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)
    extra = models.JSONField("附加属性", default=dict, blank=True)

    objects = CodeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "代码项"
        ordering = ["kind", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="code_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} {self.name}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    WORKDAY = "workday", "调休上班日"


class CalendarDay(models.Model):
    """An exception to the Monday–Friday week: a holiday on a weekday, or a make-up Saturday/Sunday."""

    date = models.DateField("日期", primary_key=True)
    kind = models.CharField("类型", max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField("节日", max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class CalendarYear(models.Model):
    """Marks a year whose holidays have been entered; a year without a row falls back to Mon–Fri."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField(
        "来源", max_length=100, help_text="如：chinesecalendar、国务院办公厅通知（国办发明电〔2026〕X号）"
    )
    loaded_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "已录入的年度日历"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}（{self.source}）"


class JobRun(models.Model):
    """When each entry of the beat schedule (config/celery.BEAT_SCHEDULE) last ran through
    `manage.py run_due_jobs` (cron without a broker or beat): what is due is decided from it."""

    name = models.CharField("任务", max_length=100, primary_key=True)
    last_run_at = models.DateTimeField("最近开始", null=True, blank=True)
    last_finished_at = models.DateTimeField("最近结束", null=True, blank=True)
    last_ok = models.BooleanField("最近成功", default=True)
    last_error = models.CharField("最近错误", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "定时任务运行记录"

    def __str__(self) -> str:
        return self.name
