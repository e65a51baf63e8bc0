"""Continuing education (继续教育): the yearly rules, every credit a person earned, the obligation
start year, self-declared conversions with their proof, and provider file imports.

Only `credits.services` writes these tables.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from registry.accounts.access import ScopedQuerySet


class Subject(models.TextChoices):
    PROFESSIONAL = "professional", "专业科目"
    PUBLIC = "public", "公需科目"


class Source(models.TextChoices):
    PROVIDER = "provider", "培训机构报送"
    EXAM = "exam", "考试合格"
    DECLARATION = "declaration", "个人申报"


class CreditStatus(models.TextChoices):
    ACCEPTED = "accepted", "已认定"
    PENDING = "pending", "待审核"
    REJECTED = "rejected", "未认定"


class DeclarationKind(models.TextChoices):
    """The conversion table's rows (PRODUCT.md "Continuing education"; API.md declaration kinds)."""

    EXAM_SUBJECT = "exam_subject", "通过会计相关考试一个科目"
    CONFERENCE_DAY = "conference_day", "参加会计专业学术会议（按天）"
    DEGREE_COURSE = "degree_course", "通过会计专业学历教育一门课程"
    RESEARCH_HOST = "research_host", "主持会计类研究课题"
    RESEARCH_MEMBER = "research_member", "参与会计类研究课题（非主持人）"
    PAPER_FIRST = "paper_first", "在有国内统一刊号的刊物发表论文（第一作者）"
    PAPER_OTHER = "paper_other", "在有国内统一刊号的刊物发表论文（其他作者）"
    BOOK_FIRST = "book_first", "公开出版会计类书籍（第一作者）"
    BOOK_OTHER = "book_other", "公开出版会计类书籍（其他作者）"
    INSTITUTE_HOURS = "institute_hours", "注册会计师协会、资产评估协会会员继续教育（按学时）"


class Unit(models.TextChoices):
    ITEM = "item", "项"
    DAY = "day", "天"
    HOUR = "hour", "学时"


# The defaults of 财会〔2018〕10号 and 京财会〔2020〕190号: credits per unit, the unit, the subject.
DEFAULT_CONVERSIONS = {
    DeclarationKind.EXAM_SUBJECT: (Decimal(90), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.CONFERENCE_DAY: (Decimal(10), Unit.DAY, Subject.PROFESSIONAL),
    DeclarationKind.DEGREE_COURSE: (Decimal(90), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.RESEARCH_HOST: (Decimal(90), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.RESEARCH_MEMBER: (Decimal(60), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.PAPER_FIRST: (Decimal(30), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.PAPER_OTHER: (Decimal(10), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.BOOK_FIRST: (Decimal(90), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.BOOK_OTHER: (Decimal(60), Unit.ITEM, Subject.PROFESSIONAL),
    DeclarationKind.INSTITUTE_HOURS: (Decimal(1), Unit.HOUR, Subject.PROFESSIONAL),
}

CREDIT_FIELD = {"max_digits": 6, "decimal_places": 1}


class CreditRule(models.Model):
    """The rules of one year and every later year without its own row."""

    year = models.PositiveSmallIntegerField("适用年度（起）", unique=True)
    required_total = models.DecimalField("每年应修学分", default=Decimal(90), **CREDIT_FIELD)
    required_professional = models.DecimalField("其中专业科目至少", default=Decimal(60), **CREDIT_FIELD)
    declare_until_month = models.PositiveSmallIntegerField("次年补登截止月", default=3)
    declare_until_day = models.PositiveSmallIntegerField("次年补登截止日", default=31)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "继续教育规则"
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} 年起：{self.required_total} 学分（专业 ≥ {self.required_professional}）"


class CreditConversion(models.Model):
    """One row of a year's conversion table: credits per item / day / hour of an activity."""

    rule = models.ForeignKey(CreditRule, on_delete=models.CASCADE, related_name="conversions")
    kind = models.CharField("活动", max_length=30, choices=DeclarationKind.choices)
    credits = models.DecimalField("学分（每单位）", validators=[MinValueValidator(0)], **CREDIT_FIELD)
    unit = models.CharField("单位", max_length=10, choices=Unit.choices, default=Unit.ITEM)
    subject = models.CharField("科目", max_length=20, choices=Subject.choices, default=Subject.PROFESSIONAL)

    class Meta:
        verbose_name = verbose_name_plural = "学分折算标准"
        constraints = [models.UniqueConstraint(fields=["rule", "kind"], name="credit_conversion_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.credits} 学分/{self.get_unit_display()}"


class CreditRecordQuerySet(ScopedQuerySet):
    def counted(self):
        return self.filter(status=CreditStatus.ACCEPTED)


class CreditRecord(models.Model):
    """One credit entry of one person in one year. Only accepted entries count, in their own year."""

    access_owner_field = "record__user"
    access_district_field = "record__district"

    # No database FOREIGN KEY (and no index of its own: credit_record_year starts with it): a provider
    # file of a million rows would otherwise queue a million deferred constraint checks at commit.
    # Records are never deleted (PROTECT everywhere) and every writer joins on an existing record.
    record = models.ForeignKey(
        "records.Record",
        verbose_name="人员",
        on_delete=models.DO_NOTHING,
        related_name="credit_records",
        db_constraint=False,
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年度")
    subject = models.CharField("科目", max_length=20, choices=Subject.choices)
    credits = models.DecimalField("学分", **CREDIT_FIELD)
    hours = models.DecimalField("学时", null=True, blank=True, **CREDIT_FIELD)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    course = models.CharField("课程或活动", max_length=200, blank=True)
    provider = models.CharField("培训机构", max_length=100, blank=True)
    completed_on = models.DateField("完成日期", null=True, blank=True)
    external_id = models.CharField("机构记录编号", max_length=64, blank=True)
    status = models.CharField("状态", max_length=20, choices=CreditStatus.choices, default=CreditStatus.ACCEPTED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学分记录"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~models.Q(external_id=""),
                name="credit_provider_external_id",
            ),
        ]
        indexes = [models.Index(fields=["record", "year"], name="credit_record_year")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.year} {self.credits}"


class CreditObligation(models.Model):
    """From which year a person owes credits (the year after the first accounting qualification or
    the start of accounting work), kept for district lists and rates; None: not obliged (yet).
    Refreshed from the record by services.obligations_refresh."""

    record = models.OneToOneField("records.Record", primary_key=True, on_delete=models.CASCADE, related_name="+")
    obliged_from = models.PositiveSmallIntegerField("起始年度", null=True, blank=True)
    record_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "继续教育义务"
        indexes = [models.Index(fields=["obliged_from"], name="credit_obliged_from")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.obliged_from or '-'}"


class DeclarationStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    IN_REVIEW = "in_review", "审核中"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"


class CreditDeclarationQuerySet(ScopedQuerySet):
    pass


class CreditDeclaration(models.Model):
    """A person's self-declared conversion (个人申报), reviewed by their district: type ce_declaration
    in the review area (docs/decisions/0009-credit-declarations.md)."""

    access_owner_field = "record__user"
    access_district_field = "district"
    TYPE = "ce_declaration"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="credit_declarations")
    district = models.ForeignKey("core.Region", verbose_name="审核区", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("申报类型", max_length=30, choices=DeclarationKind.choices)
    quantity = models.DecimalField("数量", default=Decimal(1), **CREDIT_FIELD)
    details = models.JSONField("说明", default=dict, blank=True)
    credits = models.DecimalField("折算学分", **CREDIT_FIELD)
    subject = models.CharField("科目", max_length=20, choices=Subject.choices)
    # The pending / accepted / rejected credit entry this declaration stands for.
    credit = models.OneToOneField(CreditRecord, on_delete=models.PROTECT, related_name="declaration")
    status = models.CharField(
        "状态", max_length=20, choices=DeclarationStatus.choices, default=DeclarationStatus.SUBMITTED
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.JSONField("不通过原因", default=list, blank=True)
    comment = models.TextField("审核意见", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditDeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "学分申报"
        indexes = [models.Index(fields=["district", "status", "created_at"], name="credit_decl_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} {self.credits}"

    @property
    def access_owner_id(self) -> int:
        return self.record.user_id

    @property
    def access_district_code(self) -> str:
        return self.district_id


class CreditProof(models.Model):
    """The proof of a declaration (attachment kind ce_proof), checked by content like other materials
    and stored under an unguessable name; served only through an access-checked view."""

    KIND = "ce_proof"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    declaration = models.ForeignKey(CreditDeclaration, on_delete=models.PROTECT, related_name="proofs")
    file = models.FileField(max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "学分申报证明材料"

    def __str__(self) -> str:
        return self.original_name or str(self.pk)


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class CreditImport(models.Model):
    """A provider's CSV/XLSX file imported as a background job, with its progress and outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField("培训机构或考试机构", max_length=100)
    # A training provider's records, or an exam body's list of subjects passed (PRODUCT.md's sources).
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.PROVIDER)
    file = models.FileField("文件", max_length=200)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    status = models.CharField("状态", max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total = models.PositiveIntegerField("总行数", default=0)
    processed = models.PositiveIntegerField("已处理", default=0)
    accepted = models.PositiveIntegerField("导入", default=0)
    duplicates = models.PositiveIntegerField("重复", default=0)
    rejected = models.PositiveIntegerField("拒绝", default=0)
    rejected_file = models.FileField("未导入行文件", max_length=200, blank=True)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "学分导入"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.original_name}"


class CreditTranscript(models.Model):
    """A transcript PDF as issued: its verification number and what it stated, so a verifier can
    confirm the number later (credits.selectors.transcript_by_number)."""

    number = models.CharField("验证编号", max_length=24, unique=True)
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("姓名", max_length=50)
    total = models.DecimalField("总学分", **CREDIT_FIELD)
    professional = models.DecimalField("专业科目", **CREDIT_FIELD)
    public = models.DecimalField("公需科目", **CREDIT_FIELD)
    required = models.DecimalField("应修", **CREDIT_FIELD)
    compliant = models.BooleanField("达标")
    sha256 = models.CharField("文件哈希", max_length=64)
    issued_at = models.DateTimeField("出具时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "学时证明"

    def __str__(self) -> str:
        return self.number
