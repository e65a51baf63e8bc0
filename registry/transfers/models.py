"""Transfer codes (调转编号) issued when a transfer out is approved, and the public keys of peer
deployments whose signed transfer documents we accept."""

import secrets

from django.conf import settings
from django.db import models

from registry.accounts.access import ScopedQuerySet


def new_salt() -> str:
    return secrets.token_hex(16)


class TransferCode(models.Model):
    access_owner_field = "person"
    access_district_field = "source_district"

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
    # Salt of the code's hash in exported documents: fixed per code, so every download of the same
    # code's document has the same identity (used once, wrong entries counted together).
    document_salt = models.CharField(max_length=32, default=new_salt, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "调转编号"

    def __str__(self) -> str:
        return self.code

    @property
    def access_owner_id(self):
        return self.person_id

    @property
    def access_district_code(self):
        return self.source_district_id


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
    """A peer's transfer document used here: each (signer, code hash) once, even under concurrency."""

    key_id = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "code_hash"], name="document_used_once")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.code_hash[:12]}"


class DocumentCodeAttempt(models.Model):
    """A wrong transfer code entered with a peer's document (signer, code hash), counted per
    document so that re-uploading the file or switching accounts does not reset the count."""

    key_id = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key_id", "code_hash", "at"], name="document_code_attempts")]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.code_hash[:12]} {self.at:%Y-%m-%d %H:%M}"
