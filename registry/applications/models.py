"""Applications (首次采集, 信息变更, 调入), their rounds, timeline and materials."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from registry.accounts.access import ScopedQuerySet


class ApplicationType(models.TextChoices):
    FIRST_COLLECTION = "first_collection", "首次采集"
    CHANGE = "change", "信息变更"
    TRANSFER_IN = "transfer_in", "调入"
    TRANSFER_OUT = "transfer_out", "调出"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    IN_REVIEW = "in_review", "审核中"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"
    WITHDRAWN = "withdrawn", "已撤回"


# A person has at most one of these at a time (a rejected application is edited and resubmitted).
OPEN_STATUSES = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.REJECTED,
]
EDITABLE_STATUSES = [ApplicationStatus.DRAFT, ApplicationStatus.REJECTED]


class ApplicationQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Application(models.Model):
    access_owner_field = "applicant"
    access_district_field = "district"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="applications"
    )
    type = models.CharField("业务类型", max_length=20, choices=ApplicationType.choices)
    status = models.CharField("状态", max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    # The managing district, fixed at each submission (a draft is seen by nobody but its owner).
    district = models.ForeignKey(
        "core.Region", verbose_name="管理区", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    form = models.JSONField("采集表（当前）", default=dict)
    round = models.PositiveIntegerField("提交轮次", default=0)
    transfer_code = models.CharField("调转编号", max_length=40, blank=True)
    destination_region = models.CharField("调往省份", max_length=6, blank=True)  # transfer_out
    # transfer_in from another system without a signed document: the reviewer checks by hand.
    origin_region = models.CharField("调出省份", max_length=6, blank=True)
    origin_reference = models.CharField("原地调转编号", max_length=60, blank=True)
    # transfer_in from another deployment: the verified signed document (record and history).
    transfer_document = models.JSONField("调转文件", null=True, blank=True)
    # Denormalised at each submission for the review queue's search (indexed, exact match).
    applicant_name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("证件号码", max_length=18, blank=True, db_index=True)
    due_on = models.DateField("审核期限", null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField("最近提交", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)  # bumped on every write: optimistic concurrency
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "采集申请"
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"], condition=Q(status__in=OPEN_STATUSES), name="one_open_application_per_person"
            )
        ]
        indexes = [
            # The review queue: by district and status, oldest first, keyset on (submitted_at, id).
            models.Index(fields=["district", "status", "submitted_at", "id"], name="application_queue"),
            models.Index(fields=["status", "submitted_at", "id"], name="application_queue_all"),
            # The default queue view (待审核 + 审核中) is an IN over two statuses, which cannot walk
            # the composite index in order; these partial indexes can (keyset pages stay O(page)).
            models.Index(
                fields=["district", "submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review"]),
                name="application_waiting_district",
            ),
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review"]),
                name="application_waiting",
            ),
            # The same filtered by type: without these a rarer type (信息变更, 调入) was found by
            # reading the older waiting applications of every type first (the municipal admin's
            # 信息变更 page: 50,000 rows, 120–450 ms at 1M people; now 54 buffers, 0.06 ms).
            models.Index(
                fields=["type", "submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review"]),
                name="application_waiting_type",
            ),
            models.Index(
                fields=["district", "type", "submitted_at", "id"],
                condition=Q(status__in=["submitted", "in_review"]),
                name="application_waiting_dist_type",
            ),
            # A type with a history status (the admin's 已通过的信息变更): application_queue_all
            # read every approved first collection before the page (0.8–1.4 s at 1M people; 3–7 ms
            # with this). A reviewer's district narrows enough without a district-wide copy of it.
            models.Index(fields=["type", "status", "submitted_at", "id"], name="application_type_status"),
            models.Index(fields=["district", "status", "due_on"], name="application_overdue"),
            models.Index(fields=["applicant_name"], name="application_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.get_status_display()} {self.applicant_id}"

    @property
    def access_owner_id(self):
        return self.applicant_id

    @property
    def access_district_code(self):
        return self.district_id

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES


class RoundDecision(models.TextChoices):
    NONE = "", "待审核"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"


class ApplicationRound(models.Model):
    """What was submitted in one round, and the reviewer's answer to it. Never changed afterwards."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField()
    form = models.JSONField()
    attachments = models.JSONField(default=list)  # [{"id", "kind", "ref", "sha256", "size"}]
    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    decision = models.CharField(max_length=20, blank=True, choices=RoundDecision.choices, default=RoundDecision.NONE)
    reasons = models.JSONField(default=list)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "number"], name="round_number_unique")]
        ordering = ["application", "number"]

    def __str__(self) -> str:
        return f"{self.application_id} #{self.number}"


class EventKind(models.TextChoices):
    CREATED = "created", "创建申请"
    SUBMITTED = "submitted", "提交"
    RESUBMITTED = "resubmitted", "修改后重新提交"
    WITHDRAWN = "withdrawn", "撤回"
    CLAIMED = "claimed", "审核员受理"
    RELEASED = "released", "退回待审核"
    APPROVED = "approved", "审核通过"
    REJECTED = "rejected", "审核不通过"


class ApplicationEvent(models.Model):
    """The timeline the applicant sees on the status page."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    round = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"


class AttachmentKind(models.TextChoices):
    ID_FRONT = "id_front", "身份证人像面"
    ID_BACK = "id_back", "身份证国徽面"
    PHOTO = "photo", "标准证件照"
    DIPLOMA = "diploma", "学历证书"
    DEGREE = "degree", "学位证书"
    OVERSEAS_CERT = "overseas_cert", "留学服务中心认证报告"
    QUALIFICATION_CERT = "qualification_cert", "专业技术资格证书"
    PRACTICING_CERT = "practicing_cert", "执业资格证书"
    RESIDENCE_PROOF = "residence_proof", "在京居住证明"
    OTHER = "other", "其他材料"


# Kinds attached to one entry of a repeatable section: `ref` is the entry's index.
KINDS_WITH_REF = {
    AttachmentKind.DIPLOMA: "education",
    AttachmentKind.DEGREE: "education",
    AttachmentKind.OVERSEAS_CERT: "education",
    AttachmentKind.QUALIFICATION_CERT: "qualifications",
    AttachmentKind.PRACTICING_CERT: "practicing",
}


def attachment_path(instance, filename: str) -> str:
    return filename  # the service chooses the unguessable name; see materials.storage_name


class AttachmentQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class Attachment(models.Model):
    access_owner_field = "application__applicant"
    access_district_field = "application__district"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField("材料类型", max_length=30, choices=AttachmentKind.choices)
    ref = models.PositiveSmallIntegerField("对应条目", null=True, blank=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Replaced or deleted after it was part of a submitted round: hidden from the current form,
    # kept (file included) for the earlier round's history.
    removed_at = models.DateTimeField(null=True, blank=True)
    # A PDF's pages rendered to PNG at upload, stored beside it: [{"name", "width", "height", "sha256"}].
    # Reviewers look at these; the PDF itself is only offered as a download.
    pages = models.JSONField(default=list, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "材料"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    def stored_names(self) -> list[str]:
        """Every file this attachment owns in storage: the upload and its page images."""
        return [self.file.name] + [page["name"] for page in self.pages]

    @property
    def access_owner_id(self):
        return self.application.applicant_id

    @property
    def access_district_code(self):
        return self.application.district_id


class UploadAttempt(models.Model):
    """One upload by one account (refused ones too): the hourly upload limit counts these."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="upload_attempt_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M:%S}"


class ApplicationCertificate(models.Model):
    """Certificate numbers of a submitted application, for the queue's search and the reviewer's
    "same certificate on another person" warning."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="certificates")
    number = models.CharField(max_length=60, db_index=True)

    def __str__(self) -> str:
        return self.number


class StatusCount(models.Model):
    """How many applications each district manages, by type and status: the review queue's counts
    read from a few hundred rows instead of counting the ever-growing approved history
    (decisions/0013). Kept by `applications.counts` in the same transaction as every status change
    (`states.move`) and every application created in a status with a district; a bulk load calls
    `rebuild_queue_counts` afterwards. Applications without a district (drafts) are not counted."""

    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=20, choices=ApplicationType.choices)
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "type", "status"], name="status_count_key")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.type} {self.status} {self.n}"


class ReviewSla(models.Model):
    """审核时限: the working days a district has to decide an application, from a date on. The row in
    force on the day of submission sets the application's due date, so a change never moves the due
    date of anything already submitted. Without any row, REVIEW_SLA_WORKING_DAYS (15) applies.
    Edited by municipal admins in /admin/ (PRODUCT.md: the admin manages the SLA)."""

    effective_from = models.DateField("生效日期（按提交日期）", unique=True)
    working_days = models.PositiveSmallIntegerField(
        "审核时限（工作日）", validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    note = models.CharField("依据或说明", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核时限"
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m-%d} 起提交的申请：{self.working_days} 个工作日"
