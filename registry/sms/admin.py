from django.contrib import admin

from .models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "phone", "purpose", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["phone"]
    exclude = ["code"]
    readonly_fields = ["phone", "purpose", "text", "status", "attempts", "last_error", "created_at", "sent_at"]

    def has_add_permission(self, request):
        return False
