"""The one helper the services call to write the audit log.

Services call it rather than model signals: a service knows who acts and why (a signal
sees only a row), and writes done with ``update()`` or by the retention job stay visible
as what they are.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from nomad_web.request_cache import cached
from organisation.models import User
from privacy.models import AuditEntry
from visits.models import Question
from visits.models.visit import ACCESS_CODE_KEYS

MASK = "•••"


def sensitive_keys() -> frozenset[str]:
    """Door and alarm codes, and any question the catalogue flags as sensitive."""
    flagged = cached(
        "catalogue",
        "sensitive_keys",
        lambda: frozenset(Question.objects.filter(sensitive=True).values_list("key", flat=True)),
    )
    return ACCESS_CODE_KEYS | flagged


def _plain(value: Any) -> Any:
    """A value the JSON field can hold, as it would be read back."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def audit_diff(
    *, before: dict[str, Any], after: dict[str, Any], masked: frozenset[str] = frozenset()
) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value differs; codes masked.

    A key may be dotted (``answers.door_code``): the last part decides the masking.
    """
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = _plain(before.get(key)), _plain(after.get(key))
        if old == new:
            continue
        if key.rpartition(".")[2] in masked:
            old, new = (MASK if old else old), (MASK if new else new)
        out[key] = [old, new]
    return out


def audit_record(
    *,
    user: User | None,
    action: str,
    obj: models.Model,
    prospect_id: int | None,
    changes: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. ``user`` is None for the system (a task, the back office)."""
    return AuditEntry.objects.create(
        user=user if user is not None and user.pk else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        prospect_ref=prospect_id,
        changes={k: [_plain(v) for v in pair] for k, pair in (changes or {}).items()},
        reason=reason[:500],
    )
