"""Forms of the visit flow. Catalogue steps are built from the questions as data."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from nomad_web.text import BIDI_MESSAGE, BidiControlsRefused, has_bidi_controls
from organisation.models import Agency, Role, User
from organisation.selectors import advisors_of
from visits.estimator import FREQUENCY_WEIGHTS
from visits.models import Activity, Prospect
from visits.models.visit import PROSPECT_FIELDS
from visits.steps import localised

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
ROOM_FREQUENCIES = [
    ("each", _("Every intervention")),
    ("every_2", _("Every other intervention")),
    ("every_4", _("Every fourth intervention")),
    ("never", _("Not to do")),
]
# Fields a step form posts besides the answers themselves.
# "captured_at": when the tablet recorded the write (the outbox adds it to every send).
META_FIELDS = {
    "csrfmiddlewaretoken",
    "base_version",
    "catalogue_versions",
    "submission_id",
    "captured_at",
    "op",
}
MAX_ROOMS = 40
POSTAL_CODE = RegexValidator(r"^\d{5}$", _("A postal code has 5 digits."))


def _choices(question: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["value"], localised(c)) for c in question["choices"]]


def question_field(question: dict[str, Any]) -> forms.Field:
    """The form field for one catalogue question."""
    kind = question["type"]
    common: dict[str, Any] = {
        "label": localised(question),
        "required": bool(question.get("required")),
        "help_text": localised(question, "help"),
    }
    if kind == "choice":
        return forms.ChoiceField(choices=_choices(question), widget=forms.RadioSelect, **common)
    if kind == "multi_choice":
        return forms.MultipleChoiceField(
            choices=_choices(question), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == "yes_no":
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if kind == "number":
        validators: list[MinValueValidator | MaxValueValidator] = []
        if question.get("min_value") is not None:
            validators.append(MinValueValidator(Decimal(question["min_value"])))
        if question.get("max_value") is not None:
            validators.append(MaxValueValidator(Decimal(question["max_value"])))
        field = forms.DecimalField(
            max_digits=9, decimal_places=2, validators=validators, localize=True, **common
        )
        field.widget.attrs.update({"inputmode": "decimal"})
        if question.get("unit"):
            field.widget.attrs["data-unit"] = question["unit"]
        return field
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "text":
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), **common)
    raise ValueError(f"no form field for question type {kind!r}")


def to_answer(value: Any) -> Any:
    """A cleaned value as JSON: numbers as numbers, dates as ISO strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def from_answer(question: dict[str, Any], value: Any) -> Any:
    """A stored answer as an initial form value."""
    if value is None:
        return None
    if question["type"] == "number":
        return Decimal(str(value))
    return value


class QuestionsForm(BidiControlsRefused, forms.Form):
    def __init__(
        self, *args: Any, questions: list[dict[str, Any]], partial: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = [q for q in questions if q["type"] != "rooms"]
        for question in self.questions:
            self.fields[question["key"]] = field = question_field(question)
            if partial:
                # Adding a room before the rest is answered must not be blocked.
                field.required = False

    def answers(self) -> dict[str, Any]:
        # Every question of the step is written, so clearing a field clears the answer.
        return {key: to_answer(self.cleaned_data.get(key)) for key in self.fields}


class RoomsForm:
    """The list of rooms of a dwelling, posted as ``rooms-<n>-<field>``.

    Each room: a type from the catalogue, an optional name and surface, a frequency per
    task of its type, and instructions. ``op`` adds, duplicates or removes a room.
    """

    prefix = "rooms"

    def __init__(
        self,
        data: Any = None,
        *,
        room_types: list[dict[str, Any]],
        initial: list[dict[str, Any]] | None = None,
    ) -> None:
        self.data = data
        self.room_types = {rt["key"]: rt for rt in room_types}
        self.initial = initial or []
        self.errors: dict[int, list[str]] = {}
        self.non_field_errors: list[str] = []
        self.rooms: list[dict[str, Any]] = []

    def posted_keys(self) -> set[str]:
        return {k for k in (self.data or {}) if k.startswith(f"{self.prefix}-")}

    def is_valid(self) -> bool:
        data = self.data
        try:
            total = int(data.get(f"{self.prefix}-TOTAL", "0"))
        except ValueError:
            total = -1
        if not 0 <= total <= MAX_ROOMS:
            self.non_field_errors.append(str(_("The list of rooms is malformed.")))
            return False
        allowed = {f"{self.prefix}-TOTAL"}
        for n in range(total):
            room, errors, keys = self._clean_room(n)
            allowed |= keys
            self.rooms.append(room)
            if errors:
                self.errors[n] = errors
        unknown = self.posted_keys() - allowed
        if unknown:
            self.non_field_errors.append(
                str(_("Unknown fields: %(fields)s")) % {"fields": ", ".join(sorted(unknown))}
            )
        return not self.errors and not self.non_field_errors

    def _clean_room(self, n: int) -> tuple[dict[str, Any], list[str], set[str]]:
        p = f"{self.prefix}-{n}-"
        get = lambda name: (self.data.get(p + name) or "").strip()  # noqa: E731
        keys = {p + k for k in ("uid", "type", "label", "surface_m2", "instructions")}
        errors: list[str] = []
        room_type = self.room_types.get(get("type"))
        uid = get("uid")
        try:
            uid = str(uuid.UUID(uid)) if uid else str(uuid.uuid4())
        except ValueError:
            errors.append(str(_("Invalid room identifier.")))
        room: dict[str, Any] = {
            "uid": uid,
            "type": get("type"),
            "label": get("label")[:100],
            "surface_m2": None,
            "tasks": {},
            "instructions": get("instructions")[:2000],
        }
        if has_bidi_controls([room["label"], room["instructions"]]):
            errors.append(str(BIDI_MESSAGE))
        if room_type is None:
            errors.append(str(_("Choose a room type.")))
            return room, errors, keys
        surface = get("surface_m2").replace(",", ".")
        if surface:
            try:
                value = Decimal(surface)
                if not Decimal(0) < value <= Decimal(500):
                    raise ValueError
                room["surface_m2"] = to_answer(value.quantize(Decimal("0.1")))
            except (ArithmeticError, ValueError):
                errors.append(str(_("Surface: enter a number of m² between 0 and 500.")))
        for task in room_type["tasks"]:
            name = f"task-{task['key']}"
            keys.add(p + name)
            frequency = get(name) or "never"
            if frequency not in FREQUENCY_WEIGHTS:
                errors.append(str(_("Unknown frequency for %(task)s.")) % {"task": localised(task)})
            room["tasks"][task["key"]] = frequency
        return room, errors, keys

    def error_data(self) -> dict[str, list[str]]:
        data = {f"rooms-{n}": errors for n, errors in self.errors.items()}
        if self.non_field_errors:
            data["rooms"] = self.non_field_errors
        return data

    def apply(self, op: str) -> list[dict[str, Any]]:
        """The rooms after an add / duplicate / remove operation."""
        rooms = list(self.rooms)
        if op.startswith("add:") and op[4:] in self.room_types and len(rooms) < MAX_ROOMS:
            room_type = self.room_types[op[4:]]
            rooms.append(
                {
                    "uid": str(uuid.uuid4()),
                    "type": room_type["key"],
                    "label": "",
                    "surface_m2": None,
                    "instructions": "",
                    "tasks": {
                        t["key"]: t.get("default_frequency", "each") for t in room_type["tasks"]
                    },
                }
            )
        elif op.startswith(("duplicate:", "remove:")):
            action, _sep, index = op.partition(":")
            if index.isdigit() and int(index) < len(rooms):
                i = int(index)
                if action == "remove":
                    rooms.pop(i)
                elif len(rooms) < MAX_ROOMS:
                    rooms.insert(
                        i + 1,
                        {**rooms[i], "uid": str(uuid.uuid4()), "tasks": dict(rooms[i]["tasks"])},
                    )
        return rooms

    def templates(self) -> list[dict[str, Any]]:
        """One empty row per room type, for the page to add rooms without the network."""
        rows = []
        for room_type in self.room_types.values():
            room = {
                "uid": "",
                "type": room_type["key"],
                "label": "",
                "surface_m2": None,
                "instructions": "",
            }
            rows.append(
                {
                    "n": "__N__",
                    "room": room,
                    "type_label": localised(room_type),
                    "errors": [],
                    "tasks": [
                        {
                            "key": t["key"],
                            "label": localised(t),
                            "value": t.get("default_frequency", "each"),
                        }
                        for t in room_type["tasks"]
                    ],
                }
            )
        return rows

    def rows(self) -> list[dict[str, Any]]:
        """Rooms ready for the template: posted ones when re-displaying, else the initial."""
        rooms = self.rooms if self.data is not None else self.initial
        rows = []
        for n, room in enumerate(rooms):
            room_type = self.room_types.get(
                room.get("type"), {"tasks": [], "label_fr": "?", "label_en": "?"}
            )
            rows.append(
                {
                    "n": n,
                    "room": room,
                    "type_label": localised(room_type),
                    "errors": self.errors.get(n, []),
                    "tasks": [
                        {
                            "key": t["key"],
                            "label": localised(t),
                            "value": room["tasks"].get(t["key"], "never"),
                        }
                        for t in room_type["tasks"]
                    ],
                }
            )
        return rows


class ProspectForm(BidiControlsRefused, forms.ModelForm[Prospect]):
    consent = forms.BooleanField(
        label=_("The prospect has read the text above and agrees to it."),
        required=True,
    )
    # The version the page showed: a page prepared offline may show an older one, and
    # the version recorded must be the one the person read.
    consent_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    class Meta:
        model = Prospect
        fields = PROSPECT_FIELDS
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["postal_code"].validators.append(POSTAL_CODE)
        self.fields["intervention_postal_code"].validators.append(POSTAL_CODE)
        if self.instance.consent_at:
            self.fields["consent"].required = False
            self.fields["consent"].initial = True
        for name in ("adults", "dependent_children", "members_over_65"):
            self.fields[name].validators.append(MaxValueValidator(20))
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "max": 20})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("adults") == 0:
            self.add_error("adults", _("A household has at least one adult."))
        place = [
            data.get(f)
            for f in ("intervention_address", "intervention_postal_code", "intervention_city")
        ]
        if any(place) and not all(place):
            self.add_error(
                "intervention_address",
                _("Give the whole place of intervention, or leave it empty."),
            )
        return data


class EstimateForm(BidiControlsRefused, forms.Form):
    proposed_minutes = forms.IntegerField(
        label=_("Proposed minutes per week"),
        required=False,
        min_value=0,
        max_value=60 * 60,
        help_text=_("Leave empty to keep the estimate."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 15}),
    )
    override_reason = forms.CharField(
        label=_("Why another figure"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, estimated: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.estimated = estimated

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        proposed = data.get("proposed_minutes")
        if (
            proposed is not None
            and proposed != self.estimated
            and not data.get("override_reason", "").strip()
        ):
            self.add_error(
                "override_reason", _("Say why you propose another figure than the estimate.")
            )
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("lost", _("Lost")), ("cancelled", _("Cancelled"))])
    reason = forms.CharField(label=_("Reason"), max_length=300)


class WalkInForm(BidiControlsRefused, forms.Form):
    """A visit created on the spot for a prospect who was not in the agenda."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    postal_code = forms.RegexField(label=_("Postal code"), regex=r"^\d{5}$", max_length=5)
    city = forms.CharField(label=_("City"), max_length=100)
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    activities = forms.MultipleChoiceField(
        label=_("Activities"), choices=Activity.choices, widget=forms.CheckboxSelectMultiple
    )
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())
    advisor = forms.ModelChoiceField(
        label=_("Advisor"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.for_user(user)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        if agencies.count() == 1:
            self.fields["agency"].initial = agencies.first()
        if user.role == Role.ADVISOR:
            del self.fields["advisor"]  # an advisor's walk-in visit is their own
        else:
            self.fields["advisor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                role=Role.ADVISOR, is_active=True, memberships__agency__in=agencies
            ).distinct()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        advisor, agency = data.get("advisor"), data.get("agency")
        if advisor and agency and not advisor.memberships.filter(agency=agency).exists():
            self.add_error("advisor", _("This advisor does not belong to the chosen agency."))
        return data


class AssignForm(forms.Form):
    advisor = forms.ModelChoiceField(label=_("Advisor"), queryset=User.objects.none())

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["advisor"].queryset = advisors_of(  # type: ignore[attr-defined]
            agency_ids=[agency.pk]
        )
