"""Recovery of the side effects queued from ``transaction.on_commit``.

A worker killed, or the broker down, at the moment a transaction commits, and the task
queued after it never runs: a signed contract stays without its sealed documents, an
issued quote without its PDF. Every such task is idempotent, so a periodic sweep (beat,
``sweep-side-effects``) and the ``sweep_side_effects`` command simply queue it again for
whatever is still missing after a short grace period (``SWEEP_GRACE_SECONDS``), so as
not to race the normal task.

Not recoverable here: the account emails (allauth, ``nomad_web.mail.email_enqueue``)
have no stored trace to sweep from. Mission sheets are published through the outbox,
which the relay already retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from nomad_web.leases import exclusive
from quotes.models import Contract, Document, DocumentKind, Quote
from signatures.models import SignatureRequest, SignatureRequestQuerySet, SignatureStatus

logger = logging.getLogger(__name__)

#: What ``signature_finalise`` stores for a signed contract.
SEALED_KINDS = (
    DocumentKind.SIGNED_QUOTE,
    DocumentKind.SIGNED_CONTRACT,
    DocumentKind.EVIDENCE,
    DocumentKind.EVIDENCE_JSON,
)
#: A document emailed later than this is not sent any more (a client long gone).
EMAIL_LOOKBACK = timedelta(days=1)
#: At most this many objects of each kind per pass: a backlog drains over a few passes.
BATCH = 100


def _cutoff(grace: timedelta | None = None) -> Any:
    if grace is None:
        grace = timedelta(seconds=settings.SWEEP_GRACE_SECONDS)
    return timezone.now() - grace


def signed_without_documents(grace: timedelta | None = None) -> SignatureRequestQuerySet:
    """Signed requests, signed before the grace period, whose sealed documents are missing.

    Not scoped: callers scope it (``.for_user``) when a person sees it."""
    # A correlated count on the documents' (quote, kind) index, rather than a join and a
    # GROUP BY over every column the callers select.
    sealed = (
        Document.objects.filter(quote_id=OuterRef("contract__quote_id"), kind__in=SEALED_KINDS)
        .order_by()
        .values("quote_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        SignatureRequest.objects.filter(
            status=SignatureStatus.SIGNED, completed_at__lt=_cutoff(grace)
        )
        .annotate(sealed=Coalesce(Subquery(sealed, output_field=IntegerField()), 0))
        .filter(sealed__lt=len(SEALED_KINDS))
    )


def quotes_without_pdf() -> QuerySet[Quote]:
    return (
        Quote.objects.filter(issued_at__lt=_cutoff())
        .exclude(number="")
        .exclude(documents__kind=DocumentKind.QUOTE)
    )


def contracts_without_pdf() -> QuerySet[Contract]:
    return Contract.objects.filter(created_at__lt=_cutoff()).exclude(
        quote__documents__kind=DocumentKind.CONTRACT
    )


def documents_not_emailed() -> list[Document]:
    """Recent quote and contract PDFs never emailed although the client gave an address."""
    documents = Document.objects.filter(
        kind__in=[DocumentKind.QUOTE, DocumentKind.CONTRACT],
        emailed_at__isnull=True,
        created_at__lt=_cutoff(),
        created_at__gte=timezone.now() - EMAIL_LOOKBACK,
    ).select_related("quote")
    return [d for d in documents[:BATCH] if d.quote.parties.get("client", {}).get("email")]


def _jobs() -> list[tuple[Any, tuple[Any, ...]]]:
    """(task, arguments) for everything missing, oldest first."""
    from quotes.tasks import document_render_and_send
    from signatures.tasks import signature_finalise

    signed = signed_without_documents().order_by("completed_at")
    quotes = quotes_without_pdf().order_by("issued_at")
    contracts = contracts_without_pdf().order_by("created_at")
    jobs: list[tuple[Any, tuple[Any, ...]]] = []
    for request_id in signed.values_list("pk", flat=True)[:BATCH]:
        jobs.append((signature_finalise, (request_id,)))
    for quote_id in quotes.values_list("pk", flat=True)[:BATCH]:
        jobs.append((document_render_and_send, (quote_id, DocumentKind.QUOTE.value)))
    for quote_id in contracts.values_list("quote_id", flat=True)[:BATCH]:
        jobs.append((document_render_and_send, (quote_id, DocumentKind.CONTRACT.value)))
    for document in documents_not_emailed():
        jobs.append((document_render_and_send, (document.quote_id, document.kind)))
    return jobs


def sweep_side_effects(*, inline: bool = False) -> dict[str, int]:
    """Queue again (or, ``inline``, run here) every task whose effect is missing.

    Returns the number of jobs per task name, and ``failed`` (inline only): one failure
    is logged and does not stop the others. ``{"skipped": 1}`` when another node is
    sweeping right now (``nomad_web.leases``)."""
    with exclusive("sweep-side-effects") as held:
        return _sweep(inline=inline) if held else {"skipped": 1}


def _sweep(*, inline: bool) -> dict[str, int]:
    counts: dict[str, int] = {"failed": 0}
    for task, args in _jobs():
        counts[task.name] = counts.get(task.name, 0) + 1
        run: Callable[..., Any] = task if inline else task.delay
        try:
            run(*args)
        except Exception:  # the next pass tries again
            counts["failed"] += 1
            logger.exception("Sweep: %s%r failed", task.name, args)
    return counts


def documents_waiting_count() -> int:
    """How many signed contracts wait for their documents longer than SWEEP_ALERT_SECONDS
    (a count only: /healthz answers anonymous callers)."""
    waiting = timedelta(seconds=settings.SWEEP_ALERT_SECONDS)
    return signed_without_documents(waiting).count()
