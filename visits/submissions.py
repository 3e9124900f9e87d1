"""Idempotency of offline submissions: one answer per client-generated submission id."""

from __future__ import annotations

import hashlib
import json

from django.http import QueryDict

from nomad_web.http import DEVICE_HEADER, SYNC_HEADER

__all__ = ["DEVICE_HEADER", "SYNC_HEADER", "submission_hash"]
# Fields that differ between two sends of the same submission.
_VOLATILE = {"csrfmiddlewaretoken"}


def submission_hash(data: QueryDict) -> str:
    """A hash of the submitted fields, order-independent, without per-send tokens."""
    pairs = sorted(
        (key, value) for key in data for value in data.getlist(key) if key not in _VOLATILE
    )
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()
