"""The bus in the admin: what waits or went out, what came in, what could not be applied."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations.consumer import dead_letter_retry
from integrations.models import DeadLetter, InboundVersion, OutboxEvent, ProcessedEvent
from nomad_web.read_only_admin import ReadOnlyAdmin


class SentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Sent")), ("no", _("Waiting")), ("failing", _("Failing"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "type", "subject", "sent_at", "attempts", "next_attempt_at"]
    list_filter = [SentFilter, "type", "aggregate_type"]
    search_fields = ["aggregate_id", "subject", "id"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.action(description=_("Send again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        # Consumers deduplicate by event id: sending an event again is harmless.
        count = queryset.update(sent_at=None, attempts=0, next_attempt_at=None, last_error="")
        self.message_user(
            request,
            ngettext(
                "%(count)d event will be sent again.",
                "%(count)d events will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "topic", "partition", "offset", "error", "resolved"]
    list_filter = ["resolved", "topic"]
    search_fields = ["key", "error", "value"]
    actions = ["retry"]

    @admin.action(description=_("Apply again"))
    def retry(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done = failed = 0
        for letter in queryset.filter(resolved=False):
            if dead_letter_retry(letter=letter):
                done += 1
            else:
                failed += 1
        self.message_user(
            request,
            ngettext("%(done)d applied", "%(done)d applied", done) % {"done": done}
            + ", "
            + ngettext("%(failed)d still failing.", "%(failed)d still failing.", failed)
            % {"failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ["processed_at", "type", "event_id", "outcome"]
    list_filter = ["type", "outcome"]
    search_fields = ["event_id"]


@admin.register(InboundVersion)
class InboundVersionAdmin(ReadOnlyAdmin):
    list_display = ["record_type", "record_ref", "version", "updated_at"]
    list_filter = ["record_type"]
    search_fields = ["record_ref"]
