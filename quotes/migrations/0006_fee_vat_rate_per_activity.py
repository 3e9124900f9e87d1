"""A fee's VAT rate is set per activity (FeeVatRate) instead of one rate for all.

Existing fees get, for each activity their price list prices, the VAT rate of that
activity's service: an accessory fee (dossier, travel) follows the rate of the service it
goes with, so a 10 % housekeeping contract no longer carries fees at 20 %.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


def rates_from_activities(apps, schema_editor):
    Fee = apps.get_model("quotes", "Fee")
    ActivityPrice = apps.get_model("quotes", "ActivityPrice")
    FeeVatRate = apps.get_model("quotes", "FeeVatRate")
    for fee in Fee.objects.all():
        for price in ActivityPrice.objects.filter(price_list_id=fee.price_list_id):
            FeeVatRate.objects.get_or_create(
                fee=fee, activity=price.activity, defaults={"vat_rate": price.vat_rate}
            )


def one_rate_back(apps, schema_editor):
    Fee = apps.get_model("quotes", "Fee")
    for fee in Fee.objects.all():
        rates = [r.vat_rate for r in fee.vat_rates.all()]
        fee.vat_rate = max(rates) if rates else 20
        fee.save(update_fields=["vat_rate"])


class Migration(migrations.Migration):
    dependencies = [
        ("quotes", "0005_sale_legal_texts"),
    ]

    operations = [
        migrations.CreateModel(
            name="FeeVatRate",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "activity",
                    models.CharField(
                        choices=[
                            ("housekeeping", "Housekeeping and ironing"),
                            ("gardening", "Gardening"),
                            ("senior_care", "Senior care"),
                        ],
                        max_length=20,
                        verbose_name="activity",
                    ),
                ),
                (
                    "vat_rate",
                    models.DecimalField(
                        decimal_places=2,
                        help_text="An accessory fee follows the rate of the service it goes with.",
                        max_digits=5,
                        validators=[
                            django.core.validators.MinValueValidator(0),
                            django.core.validators.MaxValueValidator(100),
                        ],
                        verbose_name="VAT rate (%)",
                    ),
                ),
                (
                    "fee",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="vat_rates",
                        to="quotes.fee",
                        verbose_name="fee",
                    ),
                ),
            ],
            options={
                "verbose_name": "fee VAT rate",
                "verbose_name_plural": "fee VAT rates",
                "ordering": ["fee", "activity"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("fee", "activity"), name="one_fee_rate_per_activity"
                    )
                ],
            },
        ),
        # Nullable first, so that going back re-adds the column before filling it.
        migrations.AlterField(
            model_name="fee",
            name="vat_rate",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=5,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0),
                    django.core.validators.MaxValueValidator(100),
                ],
                verbose_name="VAT rate (%)",
            ),
        ),
        migrations.RunPython(rates_from_activities, one_rate_back),
        migrations.RemoveField(model_name="fee", name="vat_rate"),
    ]
