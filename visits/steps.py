"""The steps of a visit, in order, and which questions each one asks.

Catalogue steps take their questions from the sections of the visit's catalogue
versions (one per activity); a question shared by two activities (access, schedule) is
asked once. Steps with nothing to ask for the visit's activities are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from visits.models import Step


@dataclass(frozen=True)
class StepDef:
    key: str
    label: Any
    kind: str  # "prospect", "catalogue", "estimate" or "summary"


STEPS: list[StepDef] = [
    StepDef("prospect", _("Prospect and household"), "prospect"),
    StepDef(Step.DWELLING, Step.DWELLING.label, "catalogue"),
    StepDef(Step.IRONING_EXTRAS, Step.IRONING_EXTRAS.label, "catalogue"),
    StepDef(Step.GARDEN, Step.GARDEN.label, "catalogue"),
    StepDef(Step.HOUSEHOLD, Step.HOUSEHOLD.label, "catalogue"),
    StepDef(Step.INSTRUCTIONS, Step.INSTRUCTIONS.label, "catalogue"),
    StepDef(Step.SCHEDULE, Step.SCHEDULE.label, "catalogue"),
    StepDef("estimate", _("Estimate"), "estimate"),
    StepDef("summary", _("Summary"), "summary"),
]
STEP_KEYS = [s.key for s in STEPS]


@dataclass
class SectionView:
    key: str
    label: str
    questions: list[dict[str, Any]] = field(default_factory=list)


def localised(item: dict[str, Any], name: str = "label") -> str:
    english = (get_language() or "fr").startswith("en")
    return str(item.get(f"{name}_en" if english else f"{name}_fr") or "")


def step_sections(*, catalogues: list[dict[str, Any]], step: str) -> list[SectionView]:
    """The sections (with their questions, each key once) that a catalogue step asks."""
    seen: set[str] = set()
    sections: list[SectionView] = []
    for catalogue in catalogues:
        for section in catalogue["sections"]:
            if section["step"] != step:
                continue
            questions = [q for q in section["questions"] if q["key"] not in seen]
            seen.update(q["key"] for q in questions)
            if questions:
                sections.append(SectionView(section["key"], localised(section), questions))
    return sections


def visit_steps(*, catalogues: list[dict[str, Any]]) -> list[StepDef]:
    return [
        s
        for s in STEPS
        if s.kind != "catalogue" or step_sections(catalogues=catalogues, step=s.key)
    ]


def questions_of(*, catalogues: list[dict[str, Any]], step: str) -> list[dict[str, Any]]:
    return [q for s in step_sections(catalogues=catalogues, step=step) for q in s.questions]


def room_types_of(*, catalogues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rt for c in catalogues for rt in c.get("room_types", [])]
