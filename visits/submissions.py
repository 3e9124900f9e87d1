"""Idempotency of offline submissions: one answer per client-generated submission id."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.http import QueryDict

from nomad_web.http import DEVICE_HEADER, SYNC_HEADER
from visits.models import Submission, Visit

__all__ = [
    "DEVICE_HEADER",
    "SYNC_HEADER",
    "SubmissionMismatch",
    "submission_hash",
    "submission_lock_visit",
    "submission_previous",
    "submission_record",
]
# Fields that differ between two sends of the same submission.
_VOLATILE = {"csrfmiddlewaretoken"}


def submission_hash(data: QueryDict) -> str:
    """A hash of the submitted fields, order-independent, without per-send tokens."""
    pairs = sorted(
        (key, value) for key in data for value in data.getlist(key) if key not in _VOLATILE
    )
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


class SubmissionMismatch(Exception):
    """The submission id was already used with other data."""


def submission_lock_visit(*, visit_id: int) -> None:
    """Serialise the writes of one visit (inside a transaction), so a replay racing its
    original waits for it and then finds its stored answer."""
    list(Visit.objects.select_for_update().filter(pk=visit_id).values_list("pk"))


def submission_previous(
    *, client_uuid: uuid.UUID | None, visit_id: int, digest: str
) -> Submission | None:
    """The answer already given to this submission (call it under the visit's row lock)."""
    if client_uuid is None:
        return None
    previous = Submission.objects.filter(client_uuid=client_uuid).first()
    if previous is not None and (previous.body_hash != digest or previous.visit_id != visit_id):
        raise SubmissionMismatch
    return previous


def submission_record(
    *,
    client_uuid: uuid.UUID | None,
    visit_id: int,
    digest: str,
    status: int,
    response: dict[str, Any],
    device_id: str,
) -> None:
    if client_uuid is None:
        return
    Submission.objects.create(
        client_uuid=client_uuid,
        visit_id=visit_id,
        body_hash=digest,
        status_code=status,
        response=response,
        device_id=device_id,
    )
