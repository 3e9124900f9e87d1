from __future__ import annotations

from django.contrib import admin

from nomad_web.read_only_admin import ReadOnlyAdmin
from signatures.models import PaperCopyTask, SignatureRequest, WebhookEvent


@admin.register(SignatureRequest)
class SignatureRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "contract",
        "provider",
        "status",
        "signer_last_name",
        "signer_email",
        "created_at",
        "signed_at",
    ]
    list_filter = [
        "provider",
        "status",
        ("contract__quote__brand", admin.RelatedOnlyFieldListFilter),
        ("contract__quote__visit__agency", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["signer_last_name", "signer_email", "external_id", "contract__quote__number"]
    list_select_related = ["contract__quote"]
    date_hierarchy = "created_at"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "name", "outcome", "received_at"]
    list_filter = ["name"]
    search_fields = ["event_id", "outcome"]
    readonly_fields = ["event_id", "name", "payload", "received_at", "outcome"]


@admin.register(PaperCopyTask)
class PaperCopyTaskAdmin(ReadOnlyAdmin):
    """Marked done by the agency from its dashboard (signatures.services.paper_copy_mark_done)."""

    list_display = ["contract", "reason", "created_at", "done_on", "done_by"]
    list_filter = ["done_on"]
    raw_id_fields = ["contract", "signature", "done_by"]
