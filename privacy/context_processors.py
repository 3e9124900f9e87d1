from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from visits.offline_texts import pending_texts_json


def offline_limits(request: HttpRequest) -> dict[str, Any]:
    """How long prepared data may stay on the device (read by static/js/prepare.js), and how
    long a send from the outbox waits for the network (static/js/sync.js)."""
    return {
        "offline_max_days": settings.NOMAD_OFFLINE_MAX_DAYS,
        "send_timeout_ms": settings.NOMAD_SEND_TIMEOUT_MS,
        # Called by the template only where the pending panel is drawn (signed-in pages).
        "pending_texts_json": pending_texts_json,
    }
