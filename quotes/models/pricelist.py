"""Price lists: per brand, optionally overridden for one agency, in force between dates."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organisation.models import Agency, Brand


class PriceList(models.Model):
    """The prices a quote uses: the agency's list in force on its date, else the brand's."""

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="price_lists", verbose_name=_("brand")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="price_lists",
        null=True,
        blank=True,
        verbose_name=_("agency"),
        help_text=_("Leave empty for the brand's list; set it to override the brand's prices."),
    )
    name = models.CharField(_("name"), max_length=100)
    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(
        _("in force until"), null=True, blank=True, help_text=_("Included. Empty: no end.")
    )
    validity_days = models.PositiveSmallIntegerField(
        _("quote validity (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["brand__name", "agency__name", "-effective_from"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        owner = self.agency.name if self.agency else self.brand.name
        return f"{self.name} · {owner} · {self.effective_from:%d/%m/%Y}"

    def clean(self) -> None:
        if self.agency is not None and self.brand_id and self.agency.brand_id != self.brand_id:
            raise ValidationError({"agency": _("This agency belongs to another brand.")})
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The end is before the start.")})
        # Two lists of the same owner in force on one day would make the price ambiguous.
        overlapping = PriceList.objects.filter(brand_id=self.brand_id, agency=self.agency).exclude(
            pk=self.pk
        )
        overlapping = overlapping.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=self.effective_from)
        )
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        if overlapping.exists():
            raise ValidationError(
                _("Another list of the same brand and agency is in force on some of these days.")
            )

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


ACTIVITY_CHOICES = [
    ("housekeeping", _("Housekeeping and ironing")),
    ("gardening", _("Gardening")),
    ("senior_care", _("Senior care")),
]


class ActivityPrice(models.Model):
    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="prices", verbose_name=_("price list")
    )
    activity = models.CharField(
        _("activity"),
        max_length=20,
        choices=ACTIVITY_CHOICES,
    )
    label = models.CharField(
        _("label on the quote"), max_length=120, help_text=_("As the client reads it (French).")
    )
    hourly_price_ht = models.DecimalField(
        _("hourly price excl. VAT (€)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("10 for housekeeping, 20 for small gardening, 5.5 for senior care."),
    )

    class Meta:
        ordering = ["price_list", "activity"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "activity"], name="one_price_per_activity_and_list"
            )
        ]
        verbose_name = _("activity price")
        verbose_name_plural = _("activity prices")

    def __str__(self) -> str:
        return f"{self.label}: {self.hourly_price_ht} € HT/h, VAT {self.vat_rate} %"


class FeeRecurrence(models.TextChoices):
    MONTHLY = "monthly", _("Every month")
    ONE_OFF = "one_off", _("Once")


class Fee(models.Model):
    """An extra fee (dossier, travel…), shown apart on the quote, HT and TTC.

    Its VAT rate is set per activity (``FeeVatRate``): an accessory fee follows the rate
    of the service it goes with. On a quote with several activities the fee is split pro
    rata of each activity's amount (see ``quotes/pricing.py``)."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="fees", verbose_name=_("price list")
    )
    code = models.SlugField(_("code"), max_length=30)
    label = models.CharField(_("label on the quote"), max_length=120)
    recurrence = models.CharField(
        _("charged"), max_length=10, choices=FeeRecurrence.choices, default=FeeRecurrence.ONE_OFF
    )
    amount_ht = models.DecimalField(
        _("amount excl. VAT (€)"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["price_list", "code"]
        constraints = [
            models.UniqueConstraint(fields=["price_list", "code"], name="one_fee_per_code_and_list")
        ]
        verbose_name = _("fee")
        verbose_name_plural = _("fees")

    def __str__(self) -> str:
        return f"{self.label}: {self.amount_ht} € HT"


class FeeVatRate(models.Model):
    """The VAT rate of a fee when it goes with one activity's service."""

    fee = models.ForeignKey(
        Fee, on_delete=models.CASCADE, related_name="vat_rates", verbose_name=_("fee")
    )
    activity = models.CharField(_("activity"), max_length=20, choices=ACTIVITY_CHOICES)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("An accessory fee follows the rate of the service it goes with."),
    )

    class Meta:
        ordering = ["fee", "activity"]
        constraints = [
            models.UniqueConstraint(fields=["fee", "activity"], name="one_fee_rate_per_activity")
        ]
        verbose_name = _("fee VAT rate")
        verbose_name_plural = _("fee VAT rates")

    def __str__(self) -> str:
        return f"{self.fee.code} · {self.get_activity_display()}: {self.vat_rate} %"
