"""JSON Schemas of the events, one file per type in ``docs/events/`` (the contract with the
back office), checked with ``jsonschema``. ``common.json`` holds the CloudEvents envelope
and the shapes several events share; the type files refer to it by relative ``$ref``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

SCHEMAS_DIR = Path(settings.BASE_DIR) / "docs" / "events"


class SchemaError(ValueError):
    """An event that does not follow its schema (or has none)."""


@cache
def _registry() -> tuple[Registry, dict[str, str]]:
    """Every schema file, by its ``$id``; and the ``$id`` of each event type."""
    resources = []
    ids: dict[str, str] = {}
    for path in sorted(SCHEMAS_DIR.glob("*.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema)))
        ids[path.stem] = schema["$id"]
    return Registry().with_resources(resources), ids


def schema_types() -> list[str]:
    """The event types that have a schema (every file but ``common``)."""
    return sorted(t for t in _registry()[1] if t != "common")


def schema_validate(envelope: dict[str, Any]) -> None:
    """Raise ``SchemaError`` unless the envelope follows the schema of its type."""
    registry, ids = _registry()
    event_type = envelope.get("type")
    if not isinstance(event_type, str) or event_type not in ids or event_type == "common":
        raise SchemaError(f"no schema for event type {event_type!r}")
    schema = registry.contents(ids[event_type])
    validator = Draft202012Validator(schema, registry=registry)
    # What travels is JSON: check the JSON form, not the Python objects.
    instance = json.loads(json.dumps(envelope))
    try:
        validator.validate(instance)
    except ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(envelope)"
        raise SchemaError(f"{event_type}: {where}: {exc.message}") from exc
