from django.contrib import admin, messages

from . import workdays
from .models import CalendarDay, CalendarYear, Code, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "level",
        "parent",
        "is_reviewing_unit",
        "bureau_name",
        "contact_phone",
        "valid_to_year",
    ]
    list_filter = ["level", "is_reviewing_unit", "province_code"]
    search_fields = ["code", "name", "bureau_name"]
    list_editable = ["contact_phone"]
    raw_id_fields = ["parent"]
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        return ["code", "province_code"] if obj else ["province_code"]

    def save_model(self, request, obj, form, change):
        obj.province_code = obj.code[:2]
        super().save_model(request, obj, form, change)


@admin.register(Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["kind", "code", "name", "sort_order", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    list_editable = ["name", "sort_order", "active"]


class CalendarMissingYearsMixin:
    def changelist_view(self, request, extra_context=None):
        missing = workdays.years_without_calendar()
        if missing:
            messages.warning(
                request,
                f"{'、'.join(map(str, missing))} 年尚未录入节假日安排，审核时限暂按周一至周五计算。"
                "请根据国务院办公厅通知录入（或运行 manage.py calendar_import --csv 文件）。",
            )
        return super().changelist_view(request, extra_context)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarMissingYearsMixin, admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        workdays.clear_cache()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        workdays.clear_cache()


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarMissingYearsMixin, admin.ModelAdmin):
    list_display = ["year", "source", "loaded_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        workdays.clear_cache()
