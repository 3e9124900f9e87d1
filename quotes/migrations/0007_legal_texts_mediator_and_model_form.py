"""New versions of the general terms and the sale texts: the consumer mediator named from
the brand's data, the start of the services, the withdrawal form as the R221-1 model."""

from django.db import migrations


def load(apps, schema_editor):
    from quotes.legal_defaults import legal_texts_load

    legal_texts_load(apps.get_model("quotes", "LegalText"))


class Migration(migrations.Migration):
    dependencies = [("quotes", "0006_fee_vat_rate_per_activity")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
