"""Catalogue services and reads: publish, copy into a new draft, load the default,
and the catalogue as plain data (what the forms, the estimator and the device use)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from nomad_web.request_cache import cached, catalogue_changed
from organisation.models import User
from visits.default_catalogue import DEFAULT_CATALOGUES
from visits.models import (
    CatalogueStatus,
    CatalogueVersion,
    Norm,
    Question,
    QuestionType,
    RoomTask,
    RoomType,
    Section,
    Visit,
)
from visits.models.visit import ACCESS_CODE_KEYS

# What the estimator reads, per activity: publishing refuses a version without them.
REQUIRED_NORMS = {
    "housekeeping": {
        "house_factor",
        "clutter_factor",
        "stairs_minutes",
        "oven_minutes",
        "fridge_minutes",
        "balcony_minutes",
        "window_minutes",
        "shirt_minutes",
        "ironing_item_minutes",
    },
    "gardening": {
        "lawn_m2_per_hour",
        "hedge_m_per_hour",
        "weeding_m2_per_hour",
        "green_waste_minutes",
    },
}
CHOICE_TYPES = {QuestionType.CHOICE, QuestionType.MULTI_CHOICE}


class CatalogueError(ValidationError):
    pass


def _str_decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def catalogue_as_dict(*, version_id: int) -> dict[str, Any]:
    """A published version as plain data; cached for good, since it never changes."""
    key = f"catalogue:{version_id}"
    data: dict[str, Any] | None = cache.get(key)
    if data is not None:
        return data
    version = CatalogueVersion.objects.get(pk=version_id)
    data = _serialise(version)
    if version.is_published:
        cache.set(key, data, timeout=None)
    return data


def _serialise(version: CatalogueVersion) -> dict[str, Any]:
    sections = list(version.sections.prefetch_related("questions"))
    room_types = list(version.room_types.prefetch_related("tasks"))
    return {
        "id": version.pk,
        "activity": version.activity,
        "number": version.number,
        "sections": [
            {
                "key": s.key,
                "step": s.step,
                "label_fr": s.label_fr,
                "label_en": s.label_en,
                "questions": [
                    {
                        "key": q.key,
                        "type": q.type,
                        "label_fr": q.label_fr,
                        "label_en": q.label_en,
                        "help_fr": q.help_fr,
                        "help_en": q.help_en,
                        "required": q.required,
                        "unit": q.unit,
                        "min_value": _str_decimal(q.min_value),
                        "max_value": _str_decimal(q.max_value),
                        "choices": q.choices,
                        "sensitive": q.sensitive,
                    }
                    for q in s.questions.all()
                ],
            }
            for s in sections
        ],
        "room_types": [
            {
                "key": rt.key,
                "label_fr": rt.label_fr,
                "label_en": rt.label_en,
                "default_surface_m2": _str_decimal(rt.default_surface_m2),
                "tasks": [
                    {
                        "key": t.key,
                        "label_fr": t.label_fr,
                        "label_en": t.label_en,
                        "fixed_minutes": _str_decimal(t.fixed_minutes),
                        "minutes_per_m2": _str_decimal(t.minutes_per_m2),
                        "default_frequency": t.default_frequency,
                    }
                    for t in rt.tasks.all()
                ],
            }
            for rt in room_types
        ],
        "norms": {n.key: _str_decimal(n.value) for n in version.norms.all()},
    }


def catalogue_current(*, activity: str) -> CatalogueVersion | None:
    """The latest published version of an activity's catalogue (cached until one changes)."""
    return cached(
        "catalogue",
        f"current:{activity}",
        lambda: (
            CatalogueVersion.objects.filter(activity=activity, status=CatalogueStatus.PUBLISHED)
            .order_by("-number")
            .first()
        ),
    )


def catalogue_check(*, version: CatalogueVersion) -> list[str]:
    """What prevents publishing this version (empty when it can be published)."""
    problems: list[str] = []
    data = _serialise(version)
    keys = Counter(q["key"] for s in data["sections"] for q in s["questions"])
    problems += [f"Question key used twice: {k}" for k, n in keys.items() if n > 1]
    missing = REQUIRED_NORMS.get(version.activity, set()) - set(data["norms"])
    problems += [f"Missing time norm: {k}" for k in sorted(missing)]
    for section in data["sections"]:
        for question in section["questions"]:
            if question["type"] in CHOICE_TYPES:
                values = [c.get("value") for c in question["choices"] if isinstance(c, dict)]
                if (
                    not values
                    or len(values) != len(question["choices"])
                    or not all(
                        isinstance(c.get("label_fr"), str) and isinstance(c.get("label_en"), str)
                        for c in question["choices"]
                    )
                ):
                    problems.append(
                        f"Question {question['key']}: choices need a value, label_fr and label_en"
                    )
    if version.activity == "housekeeping" and "rooms" not in keys:
        problems.append("The housekeeping catalogue needs a question of type rooms (key rooms).")
    return problems


@transaction.atomic
def catalogue_publish(*, version: CatalogueVersion, user: User | None) -> CatalogueVersion:
    version = CatalogueVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise CatalogueError("This version is already published; published versions never change.")
    problems = catalogue_check(version=version)
    if problems:
        raise CatalogueError(problems)
    latest = CatalogueVersion.objects.filter(activity=version.activity).aggregate(n=Max("number"))
    version.number = (latest["n"] or 0) + 1
    version.status = CatalogueStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user
    version.save(update_fields=["number", "status", "published_at", "published_by"])
    return version


@transaction.atomic
def catalogue_new_draft(*, source: CatalogueVersion) -> CatalogueVersion:
    """A draft copy of ``source`` (with every section, question, room, task and norm)."""
    data = _serialise(source)
    return _create(data, notes="", created_from=source)


def _create(
    data: dict[str, Any], *, notes: str, created_from: CatalogueVersion | None
) -> CatalogueVersion:
    version = CatalogueVersion.objects.create(
        activity=data["activity"], notes=notes, created_from=created_from
    )
    for s_order, s in enumerate(data["sections"]):
        section = Section.objects.create(
            version=version,
            key=s["key"],
            step=s["step"],
            order=s_order,
            label_fr=s["label_fr"],
            label_en=s["label_en"],
        )
        Question.objects.bulk_create(
            Question(
                section=section,
                order=q_order,
                key=q["key"],
                type=q["type"],
                label_fr=q["label_fr"],
                label_en=q["label_en"],
                help_fr=q.get("help_fr", ""),
                help_en=q.get("help_en", ""),
                required=q.get("required", False),
                unit=q.get("unit", ""),
                min_value=q.get("min_value"),
                max_value=q.get("max_value"),
                choices=q.get("choices", []),
                sensitive=q.get("sensitive", False),
            )
            for q_order, q in enumerate(s["questions"])
        )
    for r_order, r in enumerate(data["room_types"]):
        room_type = RoomType.objects.create(
            version=version,
            key=r["key"],
            order=r_order,
            label_fr=r["label_fr"],
            label_en=r["label_en"],
            default_surface_m2=r["default_surface_m2"],
        )
        RoomTask.objects.bulk_create(
            RoomTask(
                room_type=room_type,
                order=t_order,
                key=t["key"],
                label_fr=t["label_fr"],
                label_en=t["label_en"],
                fixed_minutes=t["fixed_minutes"],
                minutes_per_m2=t["minutes_per_m2"],
                default_frequency=t.get("default_frequency", "each"),
            )
            for t_order, t in enumerate(r["tasks"])
        )
    norms = data["norms"]
    if isinstance(norms, dict):  # from a serialised version: labels come from the source
        source_norms = {n.key: n for n in created_from.norms.all()} if created_from else {}
        rows = [
            (k, v, source_norms[k].unit, source_norms[k].label_fr, source_norms[k].label_en)
            for k, v in norms.items()
        ]
    else:
        rows = norms
    Norm.objects.bulk_create(
        Norm(version=version, key=k, value=Decimal(v), unit=u, label_fr=fr, label_en=en)
        for k, v, u, fr, en in rows
    )
    catalogue_changed()  # bulk_create sends no signal (questions flagged sensitive)
    return version


@transaction.atomic
def catalogue_load_default() -> list[CatalogueVersion]:
    """Publish version 1 of each activity's shipped catalogue, where none exists yet."""
    created = []
    for data in DEFAULT_CATALOGUES:
        if CatalogueVersion.objects.filter(activity=data["activity"]).exists():
            continue
        version = _create(data, notes=data["notes"], created_from=None)
        created.append(catalogue_publish(version=version, user=None))
    return created


def visit_catalogues(*, visit: Visit) -> list[dict[str, Any]]:
    """The catalogues the visit uses: those it started with, or today's for a new one."""
    # A visit not saved yet (the blank pages prepared for offline walk-ins) has none.
    versions = [] if visit._state.adding else list(visit.catalogue_versions.all())
    if not versions:
        versions = [v for a in visit.activities if (v := catalogue_current(activity=a))]
    order = {a: i for i, a in enumerate(visit.activities)}
    return sorted(
        (catalogue_as_dict(version_id=v.pk) for v in versions),
        key=lambda c: order.get(c["activity"], 99),
    )


def sensitive_answer_keys(*, catalogues: list[dict[str, Any]]) -> frozenset[str]:
    """The answers that are secrets (door and alarm codes, any question these catalogues
    flag as sensitive): kept from events, from those who need not see them, from logs."""
    flagged = {
        q["key"]
        for catalogue in catalogues
        for section in catalogue["sections"]
        for q in section.get("questions", [])
        if q.get("sensitive")
    }
    return ACCESS_CODE_KEYS | flagged
