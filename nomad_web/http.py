"""Request types for views, so mypy knows what the middleware added."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from organisation.models import User

SYNC_HEADER = "X-Nomad-Sync"  # sent by the offline queue: answer JSON, never a redirect
DEVICE_HEADER = "X-Nomad-Device"  # the device's id, so its own earlier writes never conflict


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """What a view behind ``login_required`` receives."""

    user: User
