from __future__ import annotations

from django.contrib import admin

from nomad_web.read_only_admin import ReadOnlyAdmin
from privacy.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Visible to staff, editable by nobody (superusers included), so it can be trusted."""

    list_display = ["created_at", "action", "object_type", "object_id", "user", "reason"]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["=object_id", "=prospect_ref", "user__email", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
