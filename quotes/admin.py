from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nomad_web.read_only_admin import ReadOnlyAdmin
from nomad_web.request_cache import legal_changed
from quotes.models import (
    ActivityPrice,
    Contract,
    Document,
    Fee,
    FeeVatRate,
    LegalText,
    PriceList,
    Quote,
)


class ActivityPriceInline(admin.TabularInline[ActivityPrice, PriceList]):
    model = ActivityPrice
    extra = 0


class FeeInline(admin.TabularInline[Fee, PriceList]):
    model = Fee
    extra = 0
    # A fee's VAT rates per activity are edited on the fee's own page.
    show_change_link = True


class FeeVatRateInline(admin.TabularInline[FeeVatRate, Fee]):
    model = FeeVatRate
    extra = 0


@admin.register(Fee)
class FeeAdmin(admin.ModelAdmin[Fee]):
    list_display = ["code", "label", "recurrence", "amount_ht", "price_list"]
    list_filter = ["price_list__brand", "recurrence"]
    list_select_related = ["price_list__brand", "price_list__agency"]
    inlines = [FeeVatRateInline]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin[PriceList]):
    list_display = ["name", "brand", "agency", "effective_from", "effective_to", "validity_days"]
    list_filter = ["brand", "agency"]
    inlines = [ActivityPriceInline, FeeInline]


@admin.register(LegalText)
class LegalTextAdmin(admin.ModelAdmin[LegalText]):
    """Published versions are read-only: contracts cite them. Change = a new version."""

    list_display = ["kind", "version", "title", "published_at"]
    list_filter = ["kind"]
    actions = ["publish"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.is_published:
            return ["kind", "version", "title", "body", "published_at"]
        return ["published_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_published

    @admin.action(description=_("Publish the selected versions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[LegalText]) -> None:
        count = queryset.filter(published_at__isnull=True).update(published_at=timezone.now())
        legal_changed()  # update() sends no signal: the cached current texts are stale
        published = ngettext("%(count)d version published.", "%(count)d versions published.", count)
        messages.success(request, published % {"count": count})


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "brand",
        "visit",
        "status",
        "quote_date",
        "valid_until",
        "device_reference",
        "older_price_list",
    ]
    list_filter = ["status", "brand", "older_price_list"]
    search_fields = ["number", "device_reference", "visit__prospect__last_name"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "general_terms", "early_start_requested", "created_at"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "pages", "size", "sha256", "created_at", "emailed_at"]
    list_filter = ["kind"]
