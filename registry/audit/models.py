"""The append-only, hash-chained audit log.

Each entry's `hash` covers its own fields and the previous entry's hash, so editing, deleting or
reordering any row breaks the chain from that row on; `manage.py verify_audit` finds the break.
The database refuses UPDATE (and on PostgreSQL DELETE) through triggers; the chain catches what a
database superuser could still do: the hash is an HMAC under a key kept outside the database
(keys.py), and the head is anchored outside it too (anchors.py), so a rewritten chain cannot be
made to verify and a cut-off tail is found.
"""

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the log outlives accounts; it must never be rewritten by a cascade
        related_name="+",
    )
    actor_label = models.CharField("操作人（记录时）", max_length=100, blank=True)
    action = models.CharField("操作", max_length=60)
    target_type = models.CharField("对象类型", max_length=60, blank=True)
    target_id = models.CharField("对象标识", max_length=64, blank=True)
    district = models.CharField("所属区", max_length=6, blank=True)
    # Text exactly as hashed (a GenericIPAddressField would be rewritten by the database: ::ffff:…).
    ip = models.CharField("IP地址", max_length=45, blank=True)
    details = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)
    # Which AUDIT_KEY_PATH key the hash is an HMAC under; "" for rows from before keying (plain SHA-256).
    key_id = models.CharField("密钥标识", max_length=32, blank=True, default="")

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-seq"]
        # Plain indexes and a unique constraint rather than db_index/unique=True, which on PostgreSQL
        # also build a varchar_pattern_ops index each for LIKE 'x%' — a query nobody runs here, and
        # three more index insertions on every audited call (docs/performance.md, fifth pass).
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["action"], name="audit_action"),
            models.Index(fields=["district"], name="audit_district"),
        ]
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditChainHead(models.Model):
    """One row holding the chain's last sequence number and hash; locking it serialises appends."""

    seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"#{self.seq} {self.last_hash[:12]}"
