"""The visit list as a CSV file for Excel in French: streamed, a few rows at a time.

French Excel reads ``;`` as the separator, a comma as the decimal mark and needs a
UTF-8 byte-order mark to recognise accents. The rows come from a server-side cursor
(``iterator(chunk_size=…)``), so memory stays flat however many visits match.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nomad_web.csv_safe import csv_writer
from visits.models import Activity, Channel, Visit, VisitStatus

CHUNK_SIZE = 2000
BOM = "\ufeff"

_FIELDS = (
    "scheduled_at",
    "agency__code",
    "agency__name",
    "advisor__first_name",
    "advisor__last_name",
    "prospect__first_name",
    "prospect__last_name",
    "prospect__postal_code",
    "activities",
    "status",
    "channel",
    "estimated_minutes",
    "proposed_minutes",
)


class _Echo:
    """A file whose ``write`` hands back the line: the CSV writer then yields strings."""

    def write(self, value: str) -> str:
        return value


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes / 60:.2f}".replace(".", ",")


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def csv_rows(visits: QuerySet[Visit]) -> Iterator[str]:
    statuses, channels = dict(VisitStatus.choices), dict(Channel.choices)
    activities = dict(Activity.choices)
    writer = csv_writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow(
        [
            _("Date"),
            _("Time"),
            _("Agency code"),
            _("Agency"),
            _("Advisor"),
            _("Prospect"),
            _("Postal code"),
            _("Activities"),
            _("Status"),
            _("Channel"),
            _("Estimated hours per week"),
            _("Proposed hours per week"),
        ]
    )
    row: tuple[Any, ...]
    for row in visits.values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        (when, code, agency, a_first, a_last, p_first, p_last, postcode, acts, status,
         channel, estimated, proposed) = row  # fmt: skip
        when = _local(when)
        yield writer.writerow(
            [
                when.strftime("%d/%m/%Y"),
                when.strftime("%H:%M"),
                code,
                agency,
                f"{a_first or ''} {a_last or ''}".strip(),
                f"{p_first} {p_last}".strip(),
                postcode,
                ", ".join(str(activities.get(a, a)) for a in acts or []),
                str(statuses.get(status, status)),
                str(channels.get(channel, channel)),
                _hours(estimated),
                _hours(proposed),
            ]
        )
