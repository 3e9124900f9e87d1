"""The mission instruction sheet (feuille de route) of a signed visit, for the workers.

Built from the visit's needs and the labels of the catalogue versions it was captured
with: address and access, pets, tasks room by room with their frequency, ironing and
extras, products and equipment and where they are, priorities and what never to touch,
the schedule and the contracted hours. No prices: the workers do not need them.

It is the ONE place where the door and alarm codes appear outside the visit: the
workers must get in. The same dictionary feeds the printable page, the PDF and the
``mission.instructions.published`` event; its text is French (the workers' language).
"""

from __future__ import annotations

from typing import Any

from quotes.models import Contract
from visits.catalogue import visit_catalogues
from visits.models import Visit

FREQUENCY_LABELS = {
    "each": "À chaque intervention",
    "every_2": "Une intervention sur deux",
    "every_4": "Une intervention sur quatre",
}


def _questions(catalogues: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        q["key"]: q for c in catalogues for section in c["sections"] for q in section["questions"]
    }


def _choice_label(question: dict[str, Any] | None, value: Any) -> str:
    if question is None or value in (None, ""):
        return "" if value is None else str(value)
    for choice in question.get("choices") or []:
        if choice.get("value") == value:
            return str(choice.get("label_fr") or value)
    return str(value)


def _choice_labels(question: dict[str, Any] | None, values: Any) -> list[str]:
    return [_choice_label(question, v) for v in values or []]


def _text(answers: dict[str, Any], key: str) -> str:
    value = answers.get(key)
    return "" if value is None else str(value).strip()


def _rooms(catalogues: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    room_types = {rt["key"]: rt for c in catalogues for rt in c.get("room_types", [])}
    rooms = []
    for room in answers.get("rooms") or []:
        room_type = room_types.get(room.get("type"), {})
        task_labels = {t["key"]: t["label_fr"] for t in room_type.get("tasks", [])}
        tasks = [
            {
                "label": task_labels.get(key, key),
                "frequency": FREQUENCY_LABELS.get(frequency, str(frequency)),
            }
            for key, frequency in (room.get("tasks") or {}).items()
            if frequency and frequency != "never"
        ]
        type_label = room_type.get("label_fr", room.get("type", ""))
        rooms.append(
            {
                "name": room.get("label") or type_label,
                "type": type_label,
                "surface_m2": str(
                    room.get("surface_m2") or room_type.get("default_surface_m2", "")
                ),
                # False: the room type's usual size, the advisor did not measure it.
                "surface_measured": bool(room.get("surface_m2")),
                "tasks": tasks,
                "instructions": str(room.get("instructions") or "").strip(),
            }
        )
    return rooms


def mission_sheet(*, visit: Visit) -> dict[str, Any]:
    """The sheet as plain JSON-ready data (strings, numbers, lists)."""
    answers = visit.answers or {}
    catalogues = visit_catalogues(visit=visit)
    questions = _questions(catalogues)
    prospect, agency = visit.prospect, visit.agency
    contract = (
        Contract.objects.filter(quote__visit=visit)
        .select_related("quote")
        .order_by("-created_at")
        .first()
    )
    minutes = visit.proposed_minutes or visit.estimated_minutes or 0
    ironing = {
        "shirts_per_week": int(answers.get("ironing_shirts_per_week") or 0),
        "items_per_week": int(answers.get("ironing_items_per_week") or 0),
    }
    garden: dict[str, Any] = {}
    if "gardening" in visit.activities:
        garden = {
            "surface_m2": str(answers.get("garden_surface_m2") or ""),
            "lawn_m2": str(answers.get("lawn_m2") or ""),
            "hedge_m": str(answers.get("hedge_m") or ""),
            "weeding_m2": str(answers.get("weeding_m2") or ""),
            "green_waste": bool(answers.get("green_waste")),
            "equipment": _choice_labels(
                questions.get("garden_equipment"), answers.get("garden_equipment")
            ),
            "frequency": _choice_label(
                questions.get("garden_frequency"), answers.get("garden_frequency")
            ),
            "instructions": _text(answers, "garden_instructions"),
        }
    return {
        "visit_id": str(visit.uuid),
        "visit_backoffice_ref": visit.backoffice_ref,
        "contract_reference": contract.quote.reference if contract else "",
        "agency": {
            "code": agency.code,
            "backoffice_code": agency.backoffice_code or "",
            "name": agency.name,
            "phone": agency.phone,
        },
        "client": {
            "name": f"{prospect.get_civility_display() if prospect.civility else ''} "
            f"{prospect.first_name} {prospect.last_name}".strip(),
            "phone": prospect.phone,
            "place_of_intervention": prospect.place_of_intervention,
        },
        "access": {
            "keys": _choice_label(questions.get("keys"), answers.get("keys")),
            "door_code": _text(answers, "door_code"),
            "alarm": bool(answers.get("alarm")),
            "alarm_code": _text(answers, "alarm_code"),
        },
        "pets": _text(answers, "pets"),
        "activities": list(visit.activities),
        "rooms": _rooms(catalogues, answers),
        "ironing": ironing,
        "extras": {
            "items": _choice_labels(questions.get("extras"), answers.get("extras")),
            "frequency": _choice_label(
                questions.get("extras_frequency"), answers.get("extras_frequency")
            ),
            "windows": int(answers.get("windows_count") or 0),
            "windows_frequency": _choice_label(
                questions.get("windows_frequency"), answers.get("windows_frequency")
            ),
        },
        "products": {
            "provided_by": _choice_label(questions.get("products_by"), answers.get("products_by")),
            "location": _text(answers, "products_location"),
        },
        "equipment": {
            "items": _choice_labels(questions.get("equipment"), answers.get("equipment")),
            "location": _text(answers, "equipment_location"),
        },
        "garden": garden,
        "priorities": _text(answers, "priorities"),
        "never_touch": _text(answers, "never_touch"),
        "instructions": _text(answers, "general_instructions"),
        "schedule": {
            "frequency": _choice_label(questions.get("frequency"), answers.get("frequency")),
            "days": _choice_labels(questions.get("days"), answers.get("days")),
            "time_slots": _choice_labels(questions.get("time_slots"), answers.get("time_slots")),
            "start_date": _text(answers, "start_date"),
            "minutes_per_week": int(minutes),
        },
    }
