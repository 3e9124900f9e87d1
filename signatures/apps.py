from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignaturesConfig(AppConfig):
    """Signatures of quotes and contracts: on the tablet, or remotely through Yousign."""

    name = "signatures"
    verbose_name = _("Signatures")
