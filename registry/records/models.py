"""The approved record of a person: what is true now, and every earlier version.

Only `records.services` writes these tables (review approval calls `record_apply`).
"""

from django.conf import settings
from django.db import models

from registry.accounts.access import ScopedQuerySet


class RecordStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    TRANSFERRING_OUT = "transferring_out", "调出中"
    TRANSFERRED_OUT = "transferred_out", "已调出"
    ABNORMAL = "abnormal", "异常"
    FROZEN = "frozen", "冻结"


class RecordQuerySet(ScopedQuerySet):
    pass


class Record(models.Model):
    access_owner_field = "user"
    access_district_field = "district"

    # Empty only for a record imported from the old system that nobody has claimed yet (issue 15).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="record"
    )
    # No index of its own: (district, status) below serves every look-up by district (issue 15: each
    # index is paid by every write, a million of them in an import).
    district = models.ForeignKey(
        "core.Region", verbose_name="管理区", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField("状态", max_length=20, choices=RecordStatus.choices, default=RecordStatus.NORMAL)
    version = models.PositiveIntegerField("版本", default=1)
    # Denormalised from the current version for search and lists.
    name = models.CharField("姓名", max_length=50)
    # Unique by a constraint, not unique=True: that would add a second, varchar_pattern_ops index
    # for LIKE 'x%' that no query uses (ID numbers are looked up whole).
    id_number = models.CharField("证件号码", max_length=18)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "人员信息"
        constraints = [models.UniqueConstraint(fields=["id_number"], name="record_id_number_unique")]
        indexes = [models.Index(fields=["district", "status"], name="record_district_status")]

    def __str__(self) -> str:
        return f"{self.name}（{self.district_id}）"

    @property
    def access_owner_id(self) -> int:
        return self.user_id

    @property
    def access_district_code(self) -> str:
        return self.district_id


class RecordVersion(models.Model):
    # Seen by the person and by the record's current district (an earlier district keeps no access).
    access_owner_field = "record__user"
    access_district_field = "record__district"

    # No index on record alone (the unique (record, version) serves it) nor on district (versions are
    # read through their record; the district is what it was then).
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="versions", db_index=False)
    version = models.PositiveIntegerField()
    district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    data = models.JSONField("采集表内容")
    source = models.CharField("来源", max_length=40)  # first_collection, change, transfer_in, import …
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "人员信息版本"
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="record_version_unique")]
        # Only the versions someone made (an account's deletion is refused while it made one): an
        # import by the command has none, and its million rows stay out of this index.
        indexes = [
            models.Index(
                fields=["created_by"], name="recordversion_created_by", condition=models.Q(created_by__isnull=False)
            )
        ]
        ordering = ["record", "-version"]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class RecordMove(models.Model):
    """A record changed managing district (a move inside the city, or a transfer in). The old
    district is told (its staff home page lists recent moves) and keeps no access to new data."""

    # Seen by the person and by the district it left (which keeps no access to the record itself).
    access_owner_field = "record__user"
    access_district_field = "from_district"

    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="moves")
    from_district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    to_district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=40)
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["from_district", "at"], name="recordmove_from")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.from_district_id}→{self.to_district_id}"
