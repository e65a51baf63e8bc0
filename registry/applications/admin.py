"""The back office for the review time limit (审核时限): municipal admins only, every edit audited."""

from django.conf import settings
from django.contrib import admin, messages

from registry.accounts.admin_access import MunicipalAdminMaintains
from registry.audit.services import audit_record

from .models import ReviewSla
from .selectors import review_sla_days


@admin.register(ReviewSla)
class ReviewSlaAdmin(MunicipalAdminMaintains, admin.ModelAdmin):
    list_display = ["effective_from", "working_days", "note", "updated_at"]

    def changelist_view(self, request, extra_context=None):
        messages.info(
            request,
            f"当前提交的申请审核时限为 {review_sla_days()} 个工作日。每行自其生效日期起提交的申请适用，"
            f"已提交的申请审核期限不变；未设置时为 {settings.REVIEW_SLA_WORKING_DAYS} 个工作日。",
        )
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(action="review.sla_save", actor=request.user, target=obj,
                     details={"effective_from": obj.effective_from, "working_days": obj.working_days})  # fmt: skip

    def delete_model(self, request, obj):
        details = {"effective_from": obj.effective_from, "working_days": obj.working_days}
        audit_record(action="review.sla_delete", actor=request.user, target=obj, details=details)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one audit entry each, as the page's own delete writes
            self.delete_model(request, obj)
