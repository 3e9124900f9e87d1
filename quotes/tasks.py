"""Celery entry points: look the objects up, call a service. Idempotent: a document is
rendered once and emailed once, so a retried or duplicated task does nothing more."""

from __future__ import annotations

from celery import shared_task

from quotes.documents import document_render, document_send
from quotes.models import Quote
from quotes.services import quote_expire_due


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def document_render_and_send(quote_id: int, kind: str) -> str:
    quote = Quote.objects.select_related("brand").get(pk=quote_id)
    document = document_render(quote=quote, kind=kind)
    document_send(document=document)
    return document.sha256


@shared_task(acks_late=True)
def expire_due_quotes() -> int:
    return quote_expire_due()
