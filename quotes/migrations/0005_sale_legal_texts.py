from django.db import migrations


def load(apps, schema_editor):
    from quotes.legal_defaults import legal_texts_load

    legal_texts_load(apps.get_model("quotes", "LegalText"))


class Migration(migrations.Migration):
    dependencies = [("quotes", "0004_sale_document_model")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
