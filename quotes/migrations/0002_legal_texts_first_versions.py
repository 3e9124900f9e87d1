from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    from quotes import legal_defaults as d

    LegalText = apps.get_model("quotes", "LegalText")
    for kind, version, title, body in (
        ("general_terms", d.GENERAL_TERMS_VERSION, d.GENERAL_TERMS_TITLE, d.GENERAL_TERMS),
        ("consent", d.CONSENT_VERSION, d.CONSENT_TITLE, d.CONSENT),
    ):
        LegalText.objects.get_or_create(
            kind=kind,
            version=version,
            defaults={"title": title, "body": body, "published_at": timezone.now()},
        )


class Migration(migrations.Migration):
    dependencies = [("quotes", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
