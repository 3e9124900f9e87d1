"""Health of the event bus (outbox and consumers), when the integration is installed.

The one place that decides whether the dashboard shows the bus: the ``integrations``
app (outbox, Kafka publisher and consumers) comes with its own issue. Without it the
panel says the bus is not configured. With it, the app answers through
``integrations.selectors.bus_health()``, a function returning a mapping of figure
names (``pending``, ``oldest_pending_at``, ``failed``, ``dead_letters``,
``last_published_at``, ``consumers``…) to values; the dashboard shows what it gets and
does not reach into the integration's tables itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class BusHealth:
    configured: bool
    #: ``None`` when the integration is installed but offers no health figures.
    figures: Mapping[str, Any] | None = field(default=None)


def bus_health() -> BusHealth:
    if not apps.is_installed("integrations"):
        return BusHealth(configured=False)
    try:
        reader = import_module("integrations.selectors").bus_health
    except (ImportError, AttributeError):
        return BusHealth(configured=True)
    return BusHealth(configured=True, figures=dict(reader()))
