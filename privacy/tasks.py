"""Celery entry points of the privacy rules."""

from __future__ import annotations

from celery import shared_task

from privacy.services import retention_apply


@shared_task(acks_late=True)
def anonymise_past_retention() -> int:
    return len(retention_apply())
