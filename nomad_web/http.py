"""Request types for views, so mypy knows what the middleware added; the client's address;
a form's errors as JSON."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.forms import BaseForm
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


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies.

    With ``NOMAD_TRUSTED_PROXIES = n`` the n-th entry from the right of X-Forwarded-For is
    the client (each trusted proxy appends the address it received from); entries further
    left were sent by the client and are never believed. Without a usable entry, or with
    no trusted proxy, REMOTE_ADDR.
    """
    hops = settings.NOMAD_TRUSTED_PROXIES
    forwarded = request.headers.get("X-Forwarded-For", "")
    if hops > 0 and forwarded:
        entries = [entry for entry in forwarded.split(",") if entry.strip()]
        if entries:
            found = _valid_ip(entries[-min(hops, len(entries))])
            if found:
                return found
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def form_errors(form: BaseForm) -> dict[str, list[str]]:
    """A form's errors as the outbox's JSON answers give them: field -> messages."""
    return {k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()}
