"""Brands, agencies and the people who work in them."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from organisation.scoping import AgencyScopedQuerySet

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))
siren_validator = RegexValidator(r"^\d{9}$", _("A SIREN number has 9 digits."))
siret_validator = RegexValidator(r"^\d{14}$", _("A SIRET number has 14 digits."))
sap_validator = RegexValidator(
    r"^SAP\d{9}$", _("An SAP declaration number is SAP followed by 9 digits.")
)
vat_number_validator = RegexValidator(
    r"^FR[0-9A-Z]{2}\d{9}$", _("A French VAT number is FR, a 2-character key and the SIREN.")
)
quote_prefix_validator = RegexValidator(
    r"^[A-Z0-9]{2,8}$", _("Use 2 to 8 capital letters or digits.")
)


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    legal_name = models.CharField(_("legal entity name"), max_length=200)
    legal_address = models.TextField(_("legal entity address"))
    siren = models.CharField(_("SIREN"), max_length=9, validators=[siren_validator])
    siret = models.CharField(_("SIRET"), max_length=14, validators=[siret_validator])
    sap_number = models.CharField(
        _("SAP declaration number"), max_length=12, validators=[sap_validator]
    )
    logo = models.ImageField(_("logo"), upload_to="brands/", blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f4e79", validators=[hex_colour]
    )
    secondary_colour = models.CharField(
        _("secondary colour"), max_length=7, default="#f2a900", validators=[hex_colour]
    )
    quote_prefix = models.CharField(
        _("quote number prefix"), max_length=8, unique=True, validators=[quote_prefix_validator]
    )
    contact_email = models.EmailField(_("contact email"))
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    website = models.URLField(_("website"), blank=True)
    # The legal entity, as every quote and contract must name it (SPEC §4: L111-1, R123-237
    # Code de commerce). Blank is allowed in the database; documents refuse to render
    # until the mandatory ones are filled (quotes.legal_identity).
    legal_form = models.CharField(
        _("legal form"), max_length=60, blank=True, help_text=_("For example SAS, SARL, SA.")
    )
    share_capital = models.DecimalField(
        _("share capital (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    register = models.CharField(
        _("register"),
        max_length=3,
        choices=[
            ("RCS", _("Trade and companies register (RCS)")),
            ("RM", _("Trades register (RM)")),
        ],
        default="RCS",
    )
    register_city = models.CharField(
        _("register city"), max_length=60, blank=True, help_text=_("RCS Nantes: Nantes.")
    )
    vat_number = models.CharField(
        _("intra-EU VAT number"), max_length=13, blank=True, validators=[vat_number_validator]
    )
    mediator_name = models.CharField(_("consumer mediator"), max_length=200, blank=True)
    mediator_address = models.TextField(_("mediator's address"), blank=True)
    mediator_website = models.URLField(_("mediator's website"), blank=True)
    seal_name = models.SlugField(
        _("seal certificate"),
        blank=True,
        help_text=_(
            "Name of this legal entity's seal certificate and key (NAME.pem and NAME.key in "
            "the seal directory); blank: the brand's slug."
        ),
    )
    signature_provider = models.CharField(
        _("signature"),
        max_length=10,
        choices=[("onsite", _("On the tablet")), ("yousign", _("Remote, through Yousign"))],
        default="onsite",
        help_text=_("How this brand's clients sign; an agency may choose otherwise."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name

    @property
    def on_primary_colour(self) -> str:
        """Black or white, whichever reads better on the primary colour (WCAG luminance)."""
        channels = [int(self.primary_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if luminance > 0.179 else "#ffffff"

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.name.split()[:2]).upper()


class AgencyQuerySet(AgencyScopedQuerySet["Agency"]):
    agency_field = "id"


class Agency(models.Model):
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("brand")
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"))
    backoffice_code = models.CharField(
        _("back-office code"), max_length=20, unique=True, null=True, blank=True
    )
    signature_provider = models.CharField(
        _("signature"),
        max_length=10,
        choices=[
            ("", _("As the brand")),
            ("onsite", _("On the tablet")),
            ("yousign", _("Remote, through Yousign")),
        ],
        blank=True,
        help_text=_("Leave empty to follow the brand."),
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["brand__name", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Role(models.TextChoices):
    ADVISOR = "advisor", _("Advisor")
    MANAGER = "manager", _("Agency manager")
    STAFF = "staff", _("Head-office staff")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        """A new account whose address is recorded as verified.

        Sign-up is closed: accounts are created by staff, the demo seed or the SSO (once
        the provider has verified the address), so the address given here is trusted.
        """
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        user.email_address_verified_set()
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["role"] = Role.STAFF
        fields.pop("is_staff", None)
        fields.pop("is_superuser", None)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person who signs in. The role decides what they may do; staff may do all."""

    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, blank=True)
    agencies: models.ManyToManyField[Agency, Membership] = models.ManyToManyField(
        Agency, through="Membership", related_name="people", blank=True, verbose_name=_("agencies")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The company account (OpenID Connect ``sub``) this account is bound to, set at the
    # first SSO login; from then on only that subject opens it (organisation/oidc.py).
    oidc_subject = models.CharField(
        _("company account"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("Identifier of the company account (SSO) this account is bound to."),
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_subject"],
                condition=~models.Q(oidc_subject=""),
                name="user_unique_oidc_subject",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def email_address_verified_set(self) -> None:
        """Record the login address as this account's only address, verified and primary.

        For an address NOMAD trusts: set by staff, the demo seed, or verified by the SSO
        provider. A stale record of the same address on another account goes too (the
        login address is unique, so it can only be a leftover).
        """
        from allauth.account.models import EmailAddress

        email = self.email.lower()
        EmailAddress.objects.filter(email__iexact=email).exclude(user=self).delete()
        EmailAddress.objects.filter(user=self).exclude(email=email).delete()
        EmailAddress.objects.update_or_create(
            user=self, email=email, defaults={"verified": True, "primary": True}
        )

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    # Staff is a role, not a separate flag, so the two can never disagree.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.STAFF

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    @property
    def is_advisor(self) -> bool:
        return self.role == Role.ADVISOR

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff


class Membership(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agency")
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="unique_membership"),
        ]
        verbose_name = _("agency membership")
        verbose_name_plural = _("agency memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency}"


class AccessEvent(models.Model):
    """One sign-in, sign-out or refusal, kept for the security audit (read-only in the admin)."""

    class Kind(models.TextChoices):
        LOGIN_SUCCESS = "login_success", _("Login")
        LOGIN_FAILURE = "login_failure", _("Failed login")
        LOGOUT = "logout", _("Logout")
        ACCESS_DENIED = "access_denied", _("Access denied")
        SSO_REFUSED = "sso_refused", _("Single sign-on refused")
        SESSION_EXPIRED = "session_expired", _("Session expired")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
        verbose_name=_("person"),
    )
    email = models.CharField(_("email tried"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "created_at"])]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.email or self.user_id or '-'}"
