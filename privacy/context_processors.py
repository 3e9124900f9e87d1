from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def offline_limits(request: HttpRequest) -> dict[str, Any]:
    """How long prepared data may stay on the device (read by static/js/prepare.js), and how
    long a send from the outbox waits for the network (static/js/sync.js)."""
    return {
        "offline_max_days": settings.NOMAD_OFFLINE_MAX_DAYS,
        "send_timeout_ms": settings.NOMAD_SEND_TIMEOUT_MS,
    }
