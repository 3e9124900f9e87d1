"""Celery entry point of the relay (beat runs it every few seconds; see settings)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from integrations.publisher import kafka_config, kafka_enabled, producer_create, relay_until_idle

# One producer per worker process, kept between runs (connecting costs more than a
# batch); made again when the configuration changes.
_producers: dict[str, Any] = {}


def _producer() -> Any:
    key = repr(sorted(kafka_config().items()))
    if key not in _producers:
        _producers.clear()
        _producers[key] = producer_create()
    return _producers[key]


@shared_task(ignore_result=True)
def relay_outbox() -> str:
    if not kafka_enabled():
        return str(relay_until_idle())
    return str(relay_until_idle(producer=_producer(), max_seconds=50))
