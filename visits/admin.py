from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from visits.catalogue import CatalogueError, catalogue_new_draft, catalogue_publish
from visits.models import (
    CatalogueVersion,
    Norm,
    Prospect,
    Question,
    RoomTask,
    RoomType,
    Section,
    Visit,
    VisitStatus,
)
from visits.services import visit_admin_change


def _version_of(obj: Any) -> CatalogueVersion | None:
    if isinstance(obj, CatalogueVersion):
        return obj
    if isinstance(obj, Section | RoomType):
        return obj.version
    return None


class DraftOnlyMixin:
    """Published catalogue rows are read-only for everyone: they are what visits used."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        version = _version_of(obj)
        if version is not None and version.is_published:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        version = _version_of(obj)
        if version is not None and version.is_published:
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        # Inlines receive the parent object; model admins receive nothing.
        version = _version_of(args[0]) if args else None
        if version is not None and version.is_published:
            return False
        return super().has_add_permission(request, *args)  # type: ignore[misc]


class SectionInline(DraftOnlyMixin, admin.TabularInline[Section, CatalogueVersion]):
    model = Section
    extra = 0
    fields = ["order", "key", "step", "label_fr", "label_en"]
    show_change_link = True


class RoomTypeInline(DraftOnlyMixin, admin.TabularInline[RoomType, CatalogueVersion]):
    model = RoomType
    extra = 0
    fields = ["order", "key", "label_fr", "label_en", "default_surface_m2"]
    show_change_link = True


class NormInline(DraftOnlyMixin, admin.TabularInline[Norm, CatalogueVersion]):
    model = Norm
    extra = 0
    fields = ["key", "value", "unit", "label_fr", "label_en"]


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(DraftOnlyMixin, admin.ModelAdmin[CatalogueVersion]):
    list_display = ["__str__", "activity", "number", "status", "published_at", "published_by"]
    list_filter = ["activity", "status"]
    readonly_fields = ["number", "status", "created_from", "published_at", "published_by"]
    fields = ["activity", "notes", *readonly_fields]
    inlines = [SectionInline, RoomTypeInline, NormInline]
    actions = ["publish", "new_draft"]

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset: QuerySet[CatalogueVersion]) -> None:
        for version in queryset:
            try:
                catalogue_publish(version=version, user=request.user)  # type: ignore[arg-type]
            except CatalogueError as error:
                self.message_user(
                    request, f"{version}: {'; '.join(error.messages)}", messages.ERROR
                )
            else:
                self.message_user(request, _("Published: %s") % version, messages.SUCCESS)

    @admin.action(description=_("Copy into a new draft"))
    def new_draft(self, request: HttpRequest, queryset: QuerySet[CatalogueVersion]) -> None:
        for version in queryset:
            draft = catalogue_new_draft(source=version)
            self.message_user(request, _("New draft: %s") % draft, messages.SUCCESS)


class QuestionInline(DraftOnlyMixin, admin.StackedInline[Question, Section]):
    model = Question
    extra = 0
    fields = [
        ("order", "key", "type", "required", "sensitive"),
        ("label_fr", "label_en"),
        ("help_fr", "help_en"),
        ("unit", "min_value", "max_value"),
        "choices",
    ]


@admin.register(Section)
class SectionAdmin(DraftOnlyMixin, admin.ModelAdmin[Section]):
    list_display = ["label_fr", "key", "step", "version"]
    list_filter = ["version__activity", "version", "step"]
    search_fields = ["key", "label_fr", "label_en", "questions__key"]
    inlines = [QuestionInline]

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # reached from its catalogue, not from the admin index


class RoomTaskInline(DraftOnlyMixin, admin.TabularInline[RoomTask, RoomType]):
    model = RoomTask
    extra = 0
    fields = [
        "order",
        "key",
        "label_fr",
        "label_en",
        "fixed_minutes",
        "minutes_per_m2",
        "default_frequency",
    ]


@admin.register(RoomType)
class RoomTypeAdmin(DraftOnlyMixin, admin.ModelAdmin[RoomType]):
    list_display = ["label_fr", "key", "version"]
    list_filter = ["version__activity", "version"]
    search_fields = ["key", "label_fr", "label_en"]
    inlines = [RoomTaskInline]

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}


@admin.register(Prospect)
class ProspectAdmin(admin.ModelAdmin[Prospect]):
    list_display = ["last_name", "first_name", "agency", "city", "phone", "backoffice_ref"]
    list_filter = ["agency__brand", "agency"]
    search_fields = ["last_name", "first_name", "email", "phone", "backoffice_ref"]
    list_select_related = ["agency"]


class VisitAdminForm(forms.ModelForm[Visit]):
    def clean_status(self) -> str:
        status: str = self.cleaned_data["status"]
        if self.instance.pk:
            saved = Visit.objects.get(pk=self.instance.pk)
            if status != saved.status and not saved.can_become(status):
                raise forms.ValidationError(
                    _("A visit cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": saved.get_status_display(), "to": VisitStatus(status).label}
                )
        return status


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin[Visit]):
    """A change goes through the visit services: the allowed transitions, the version, the
    change log the offline sync compares against, the audit log."""

    form = VisitAdminForm
    list_display = ["prospect", "agency", "advisor", "scheduled_at", "status", "channel"]
    list_filter = ["status", "channel", "agency__brand", "agency"]
    search_fields = ["prospect__last_name", "prospect__first_name", "backoffice_ref", "uuid"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["prospect", "agency", "advisor"]
    raw_id_fields = ["prospect", "advisor"]
    readonly_fields = ["uuid", "version", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Visit, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        concrete = {f.name for f in Visit._meta.concrete_fields}
        values = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in concrete and name != "status"
        }
        # A transition refused here (the visit changed since the form was checked) is an
        # error page, and nothing is saved.
        visit_admin_change(
            visit=obj,
            values=values,
            status=form.cleaned_data.get("status"),
            user=request.user,  # type: ignore[arg-type]
        )
        obj.refresh_from_db()
