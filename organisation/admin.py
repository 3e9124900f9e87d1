from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nomad_web.read_only_admin import ReadOnlyAdmin
from organisation.models import AccessEvent, Agency, Brand, Membership, User

# Roles live on the person; Django's groups are not used.
admin.site.unregister(Group)
admin.site.site_header = _("NOMAD web administration")
admin.site.site_title = _("NOMAD web")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin[Brand]):
    list_display = [
        "name",
        "legal_name",
        "sap_number",
        "quote_prefix",
        "contact_email",
        "legal_details",
    ]
    search_fields = ["name", "legal_name", "siren", "siret", "sap_number"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        (
            _("Legal entity"),
            {
                "fields": [
                    "legal_name",
                    "legal_form",
                    "share_capital",
                    "legal_address",
                    ("register", "register_city"),
                    "siren",
                    "siret",
                    "vat_number",
                    "sap_number",
                    "seal_name",
                ],
                "description": _(
                    "Printed on every quote and contract; a document is not issued while "
                    "one of them is missing."
                ),
            },
        ),
        (
            _("Consumer mediator"),
            {"fields": ["mediator_name", "mediator_address", "mediator_website"]},
        ),
        (_("Look"), {"fields": ["logo", "primary_colour", "secondary_colour"]}),
        (
            _("Documents and contact"),
            {"fields": ["quote_prefix", "contact_email", "contact_phone", "website"]},
        ),
    ]

    @admin.display(description=_("legal details"))
    def legal_details(self, brand: Brand) -> str:
        from quotes.legal_identity import brand_missing_items

        missing = brand_missing_items(brand)
        if missing:
            return str(_("missing: %(items)s") % {"items": ", ".join(missing)})
        return str(_("complete"))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        from quotes.legal_identity import LegalIdentityIncomplete, brand_legal_identity_check

        brand = self.get_object(request, object_id)
        if brand is not None and request.method == "GET":
            try:
                brand_legal_identity_check(brand)
            except LegalIdentityIncomplete as error:
                messages.error(request, str(error))
        return super().change_view(request, object_id, form_url, extra_context)


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    extra = 1
    autocomplete_fields = ["agency", "user"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "code", "brand", "city", "phone", "backoffice_code"]
    list_filter = ["brand", "city"]
    search_fields = ["name", "code", "city", "backoffice_code"]
    list_select_related = ["brand"]
    inlines = [MembershipInline]


class UserCreationForm(forms.ModelForm[User]):
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput,
        required=False,
        help_text=_("Leave empty to let the person choose one through “forgotten password”."),
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "is_active"]

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.cleaned_data["password"]:
            user.set_password(self.cleaned_data["password"])
        else:
            user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["email", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "memberships__agency__brand", "memberships__agency"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["last_name", "first_name"]
    readonly_fields = ["oidc_subject", "last_login", "date_joined"]
    fields = [
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "oidc_subject",
        "last_login",
        "date_joined",
    ]
    inlines = [MembershipInline]
    actions = ["oidc_subject_forget"]

    def get_form(
        self, request: Any, obj: User | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = UserCreationForm
            kwargs["fields"] = [*UserCreationForm.Meta.fields, "password"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: Any, obj: User | None = None) -> Any:
        if obj is None:
            return [*UserCreationForm.Meta.fields, "password"]
        return self.fields

    def save_model(self, request: Any, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change or "email" in form.changed_data:
            # Head office sets the address: it is the verified login address (issue 17).
            obj.email_address_verified_set()

    @admin.action(description=_("Unlink from the company account (SSO)"))
    def oidc_subject_forget(self, request: Any, queryset: Any) -> None:
        # For a company account recreated at the provider: the next SSO login with the
        # verified address binds the new one.
        count = queryset.exclude(oidc_subject="").update(oidc_subject="")
        self.message_user(
            request,
            ngettext(
                "%(count)d account unlinked from its company account.",
                "%(count)d accounts unlinked from their company account.",
                count,
            )
            % {"count": count},
        )


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """The access audit log: read-only for everyone, staff included, so it can be trusted."""

    list_display = ["created_at", "kind", "email", "user", "ip_address", "path", "detail"]
    list_filter = ["kind", "created_at"]
    search_fields = ["email", "user__email", "ip_address", "path", "detail"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [field.name for field in AccessEvent._meta.fields]
