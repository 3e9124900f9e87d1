from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Visible to staff, editable by nobody (superusers included), so it can be trusted."""

    list_display = ["created_at", "action", "object_type", "object_id", "user", "reason"]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["=object_id", "=prospect_ref", "user__email", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
