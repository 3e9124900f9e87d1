"""The event contract in docs/events/: valid schemas, one per type, all in the AsyncAPI."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from integrations.consumer import HANDLERS
from integrations.events import OUTBOUND_TYPES, TOPICS, event_build
from integrations.schemas import SCHEMAS_DIR, SchemaError, schema_types, schema_validate


def test_it_has_a_valid_schema_for_every_event_type_both_ways() -> None:
    for path in SCHEMAS_DIR.glob("*.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))
    assert set(schema_types()) == set(OUTBOUND_TYPES) | set(HANDLERS)


def test_it_lists_every_topic_and_message_in_the_asyncapi_document() -> None:
    text = (SCHEMAS_DIR / "asyncapi.yaml").read_text()
    assert "asyncapi: 3.0.0" in text
    for event_type in schema_types():
        assert f"name: {event_type}\n" in text
        assert f"$ref: './{event_type}.json'" in text
    for suffix in TOPICS.values():
        assert f"address: nomad.{suffix}\n" in text
    for suffix in ("visits", "prospects", "services"):
        assert f"address: backoffice.{suffix}\n" in text


def test_it_refuses_an_envelope_that_breaks_its_schema() -> None:
    envelope = event_build(type="visit.lost", subject="visit/x", data={"reason": "x"})
    with pytest.raises(SchemaError, match=r"visit\.lost"):
        schema_validate(envelope)
    with pytest.raises(SchemaError, match="no schema"):
        schema_validate({**envelope, "type": "visit.teleported"})
