from django.contrib import admin

from .models import OutgoingEmail


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "purpose", "subject", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "purpose"]
    search_fields = ["to"]
    readonly_fields = [
        "to",
        "purpose",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False
