"""The visit list as a CSV file for Excel in French: streamed, a few rows at a time.

French Excel reads ``;`` as the separator, a comma as the decimal mark and needs a
UTF-8 byte-order mark to recognise accents. The rows come from a server-side cursor
(``iterator(chunk_size=…)``), so memory stays flat however many visits match.
"""

from __future__ import annotations

from collections.abc import Iterator
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


#: Rows written per chunk of the streamed response: one chunk per row costs as much in
#: the WSGI server as the row itself.
ROWS_PER_CHUNK = 500


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else f"{minutes / 60:.2f}".replace(".", ",")


def csv_rows(visits: QuerySet[Visit]) -> Iterator[str]:
    # Labels translated once, not once per row (they are lazy strings).
    statuses = {value: str(label) for value, label in VisitStatus.choices}
    channels = {value: str(label) for value, label in Channel.choices}
    activities = {value: str(label) for value, label in Activity.choices}
    activity_lists: dict[tuple[str, ...], str] = {}
    local = timezone.get_current_timezone()
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
    lines: list[str] = []
    for row in visits.values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        (when, code, agency, a_first, a_last, p_first, p_last, postcode, acts, status,
         channel, estimated, proposed) = row  # fmt: skip
        when = when.astimezone(local)
        key = tuple(acts or ())
        acts_text = activity_lists.get(key)
        if acts_text is None:
            acts_text = activity_lists[key] = ", ".join(activities.get(a, a) for a in key)
        lines.append(
            writer.writerow(
                [
                    f"{when.day:02d}/{when.month:02d}/{when.year}",
                    f"{when.hour:02d}:{when.minute:02d}",
                    code,
                    agency,
                    f"{a_first or ''} {a_last or ''}".strip(),
                    f"{p_first} {p_last}".strip(),
                    postcode,
                    acts_text,
                    statuses.get(status, status),
                    channels.get(channel, channel),
                    _hours(estimated),
                    _hours(proposed),
                ]
            )
        )
        if len(lines) >= ROWS_PER_CHUNK:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
