"""The back office for continuing education: rules per year with their conversion table, credit
records and declarations (read-only here: services write them), and provider file imports run as
background jobs with progress and a rejected-rows file. Municipal admins only."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from registry.accounts import access
from registry.accounts.admin_access import MunicipalAdminMaintains, MunicipalAdminOnly
from registry.applications import storage
from registry.core.errors import ServiceError

from . import imports, services
from .models import CreditConversion, CreditDeclaration, CreditImport, CreditRecord, CreditRule, ImportStatus, Source


class ReadOnly(MunicipalAdminOnly):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConversionInline(admin.TabularInline):
    model = CreditConversion
    extra = 0


@admin.register(CreditRule)
class CreditRuleAdmin(MunicipalAdminMaintains, admin.ModelAdmin):
    list_display = ["year", "required_total", "required_professional", "declare_until_month", "declare_until_day"]
    inlines = [ConversionInline]

    def save_model(self, request, obj, form, change):
        from registry.audit.services import audit_record

        super().save_model(request, obj, form, change)
        audit_record(action="credits.rule_save", actor=request.user, target=obj,
                     details={"year": obj.year, "required_total": str(obj.required_total),
                              "required_professional": str(obj.required_professional)})  # fmt: skip


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["record", "year", "subject", "credits", "source", "provider", "status", "completed_on"]
    list_filter = ["year", "source", "status", "subject"]
    search_fields = ["record__id_number", "external_id", "provider"]
    list_select_related = ["record"]
    show_full_result_count = False


@admin.register(CreditDeclaration)
class CreditDeclarationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["record", "year", "kind", "credits", "district", "status", "created_at"]
    list_filter = ["status", "kind", "year"]
    list_select_related = ["record", "district"]


class ImportForm(forms.Form):
    source = forms.ChoiceField(
        label="来源",
        choices=[
            (Source.PROVIDER, "培训机构报送的学分"),
            (Source.EXAM, "考试机构提供的考试合格名单（每科按折算标准计学分）"),
        ],
        initial=Source.PROVIDER,
    )
    provider = forms.CharField(label="培训机构或考试机构名称", max_length=100)
    file = forms.FileField(label="学分文件（CSV 或 XLSX，按模板）")


@admin.register(CreditImport)
class CreditImportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "provider", "source", "original_name", "status", "processed", "total", "accepted",
                    "duplicates", "rejected"]  # fmt: skip
    change_form_template = "admin/credits/creditimport/progress.html"
    change_list_template = "admin/credits/creditimport/change_list.html"

    def get_urls(self):
        own = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="credits_creditimport_upload"),
            path("template.<str:kind>", self.admin_site.admin_view(self.template_view), name="credits_creditimport_template"),
            path("<uuid:import_id>/rejected.xlsx", self.admin_site.admin_view(self.rejected_view),
                 name="credits_creditimport_rejected"),
        ]  # fmt: skip
        return own + super().get_urls()

    def upload_view(self, request):
        if not access.is_admin(request.user):
            return redirect("admin:index")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.credits_import_start(provider=form.cleaned_data["provider"],
                                                    source=form.cleaned_data["source"],
                                                    uploaded=form.cleaned_data["file"], actor=request.user)  # fmt: skip
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "文件已上传，正在后台导入。")
                return redirect(reverse("admin:credits_creditimport_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "导入学分文件",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/credits/creditimport/upload.html", context)

    def template_view(self, request, kind):
        if kind == "xlsx":
            body, content_type = (
                imports.template_xlsx(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        else:
            body, content_type = imports.template_csv(), "text/csv; charset=utf-8"
            kind = "csv"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="credits-template.{kind}"'
        return response

    def rejected_view(self, request, import_id):
        job = CreditImport.objects.filter(pk=import_id).first()
        if job is None or not job.rejected_file or not access.is_admin(request.user):
            return redirect("admin:credits_creditimport_changelist")
        response = HttpResponse(storage.read(job.rejected_file.name),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
        response["Content-Disposition"] = f'attachment; filename="rejected-{job.pk.hex[:8]}.xlsx"'
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Read-only here, so no transaction: Django's admin wraps this page in one, which on SQLite
        # (BEGIN IMMEDIATE) waits for the import's write lock and fails while the job writes.
        return self._changeform_view(request, object_id, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = CreditImport.objects.filter(pk=object_id).first()
        running = job is not None and job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        percent = int(100 * job.processed / job.total) if job and job.total else 0
        extra = {"job": job, "running": running, "percent": percent, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=extra)
