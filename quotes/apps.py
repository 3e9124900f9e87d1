from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuotesConfig(AppConfig):
    """Price lists, quotes, contracts, documents and signatures (see the Quotes issue)."""

    name = "quotes"
    verbose_name = _("Quotes and contracts")
