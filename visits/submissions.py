"""Idempotency of offline submissions: one answer per client-generated submission id."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nomad_web.http import DEVICE_HEADER, SYNC_HEADER
from nomad_web.metrics import sync_outcome_of, sync_submission_counted
from visits.models import Submission, Visit

__all__ = [
    "DEVICE_HEADER",
    "MISMATCH_MESSAGE",
    "SYNC_HEADER",
    "SubmissionMismatch",
    "Submitted",
    "submission_answer",
    "submission_hash",
    "submission_lock_visit",
    "submission_previous",
    "submission_record",
    "submission_run",
    "submission_time",
    "sync_outcome_of",
    "sync_submission_counted",
]
T = TypeVar("T")
# Fields that differ between two sends of the same submission.
_VOLATILE = {"csrfmiddlewaretoken"}


# A tablet clock slightly ahead of ours is not a reason to refuse what it recorded.
CLOCK_TOLERANCE = timedelta(minutes=10)


def submission_time(value: str) -> datetime:
    """A time the tablet recorded; ValueError (a message for the advisor) when unreadable,
    in the future or older than the offline limit."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise ValueError(_("The time recorded on the tablet is unreadable.")) from None
    if not timezone.is_aware(parsed):
        raise ValueError(_("The time recorded on the tablet has no time zone."))
    now = timezone.now()
    if parsed > now + CLOCK_TOLERANCE:
        raise ValueError(_("The tablet's clock is ahead of the server's: set it right."))
    if parsed < now - timedelta(days=settings.NOMAD_OFFLINE_MAX_DAYS + 1):
        raise ValueError(_("This was recorded on the tablet too long ago to be accepted."))
    return parsed


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


MISMATCH_MESSAGE = gettext_lazy(
    "This submission id was already used for other data: nothing was changed."
)


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """What a replayable write came to: a new answer (``result`` is what ``handle``
    returned), the stored answer of an earlier send (``replayed``), or a refusal
    (``mismatch``: the id was already used for other data; nothing was written)."""

    status: int
    body: dict[str, Any]
    result: T | None = None
    replayed: bool = False
    mismatch: bool = False


def submission_run(
    *,
    request: HttpRequest,
    visit_id: int,
    client_uuid: uuid.UUID | None,
    handle: Callable[[], tuple[int, dict[str, Any], T]],
) -> Submitted[T]:
    """The one way a write the outbox may replay is made (steps, sale, signature).

    The visit's writes are serialised (a replay racing its original waits for it, then
    finds its answer); a replay gets the stored answer; another body under the same id
    is refused. ``handle`` does the write and returns (status, JSON body, result); 2xx
    and 409 answers are stored, a 4xx refusal is not (the device corrects and sends
    again). A plain form post has no submission id: it is written, never stored. Each
    answer to an id is counted by outcome (``nomad_sync_submissions_total``)."""
    digest = submission_hash(request.POST)
    with transaction.atomic():
        submission_lock_visit(visit_id=visit_id)
        try:
            previous = submission_previous(
                client_uuid=client_uuid, visit_id=visit_id, digest=digest
            )
        except SubmissionMismatch:
            sync_submission_counted("refused")
            return Submitted(422, {"status": 422, "message": str(MISMATCH_MESSAGE)}, mismatch=True)
        if previous is not None:
            sync_submission_counted("replayed")
            return Submitted(previous.status_code, previous.response, replayed=True)
        status, body, result = handle()
        if status < 300 or status == 409:
            submission_record(
                client_uuid=client_uuid,
                visit_id=visit_id,
                digest=digest,
                status=status,
                response=body,
                device_id=request.headers.get(DEVICE_HEADER, "")[:64],
            )
    if client_uuid is not None:
        sync_submission_counted(sync_outcome_of(status))
    return Submitted(status, body, result)


def submission_answer(
    *,
    request: HttpRequest,
    visit_id: int,
    handle: Callable[[uuid.UUID], tuple[int, dict[str, Any]]],
) -> JsonResponse:
    """A JSON-only write of the outbox (the sale's): a valid submission id is required,
    then ``submission_run``; ``handle`` returns (status, body)."""
    try:
        client_uuid = uuid.UUID(request.POST.get("submission_id", ""))
    except ValueError:
        sync_submission_counted("refused")
        return JsonResponse(
            {"status": 400, "message": _("The submission id is missing or is not a UUID.")},
            status=400,
        )

    def write() -> tuple[int, dict[str, Any], None]:
        status, body = handle(client_uuid)
        return status, {"status": status, **body}, None

    done = submission_run(request=request, visit_id=visit_id, client_uuid=client_uuid, handle=write)
    return JsonResponse(done.body, status=done.status)
