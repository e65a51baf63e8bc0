from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiClient, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["phone"]
    list_display = ["phone", "name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "districts"]
    search_fields = ["phone", "name", "id_number"]
    filter_horizontal = ["districts", "groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        ("个人信息", {"fields": ["name", "id_number"]}),
        ("角色与区", {"fields": ["role", "districts", "must_change_password"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "role", "password1", "password2"]})]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "key_prefix", "active", "created_at", "last_used_at", "call_count"]
    readonly_fields = ["key_prefix", "key_hash", "created_at", "last_used_at", "call_count"]

    def has_add_permission(self, request):
        return False  # keys are issued by `manage.py create_api_client`, which shows the key once
