"""A visit in a URL: its number on the server, or the id the tablet gave it when it was
created offline (the same pages answer for both, so the device's links work before and
after the visit reaches the server)."""

from __future__ import annotations

import uuid


class VisitRefConverter:
    regex = r"[0-9]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

    def to_python(self, value: str) -> int | uuid.UUID:
        return int(value) if value.isdigit() else uuid.UUID(value)

    def to_url(self, value: int | uuid.UUID | str) -> str:
        return str(value)
