from __future__ import annotations

from celery import shared_task

from signatures.evidence import signature_documents_finalise


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def signature_finalise(request_id: int) -> list[str]:
    """Signed PDFs, evidence file and email for a signed request (idempotent)."""
    from signatures.models import SignatureRequest

    request = SignatureRequest.objects.select_related("contract__quote__brand").get(pk=request_id)
    return signature_documents_finalise(request=request)
