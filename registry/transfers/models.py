"""Transfer codes (调转编号) issued when a transfer out is approved, and the public keys of peer
deployments whose signed transfer documents we accept."""

from django.conf import settings
from django.db import models


class TransferCode(models.Model):
    code = models.CharField("调转编号", max_length=20, unique=True)
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="transfer_codes")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfer_codes")
    source_district = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    destination_region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    transfer_out = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = verbose_name_plural = "调转编号"

    def __str__(self) -> str:
        return self.code


class PeerKey(models.Model):
    """A peer deployment's Ed25519 public key (PEM), entered by an admin from `transfer_keys --show` there."""

    name = models.CharField("名称", max_length=100, help_text="如：河北省会计人员信息管理系统")
    region = models.ForeignKey("core.Region", verbose_name="所在省份", on_delete=models.PROTECT, related_name="+")
    key_id = models.CharField(
        "密钥标识", max_length=64, unique=True, help_text="公钥的 SHA-256 前16位（对方 transfer_keys 显示）"
    )
    public_key = models.TextField("公钥（PEM）")
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "对端系统公钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class ImportedDocument(models.Model):
    """A peer's transfer document used here: each (signer, code) once, even under concurrency."""

    key_id = models.CharField(max_length=64)
    transfer_code = models.CharField(max_length=40)
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "transfer_code"], name="document_used_once")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.transfer_code}"
