from cryptography.hazmat.primitives import serialization
from django import forms
from django.contrib import admin

from .documents import key_id_of
from .models import PeerKey, TransferCode


class PeerKeyForm(forms.ModelForm):
    class Meta:
        model = PeerKey
        fields = ["name", "region", "public_key", "active"]

    def clean_public_key(self):
        pem = self.cleaned_data["public_key"].strip() + "\n"
        try:
            self.instance.key_id = key_id_of(serialization.load_pem_public_key(pem.encode()))
        except (ValueError, TypeError):
            raise forms.ValidationError(
                "不是有效的 Ed25519 公钥（PEM 格式，对端运行 transfer_keys --show 可得）"
            ) from None
        return pem


@admin.register(PeerKey)
class PeerKeyAdmin(admin.ModelAdmin):
    form = PeerKeyForm
    list_display = ["name", "region", "key_id", "active", "created_at"]


@admin.register(TransferCode)
class TransferCodeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "person",
        "source_district",
        "destination_region",
        "issued_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    search_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
