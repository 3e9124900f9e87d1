"""The document model of a sale: the quote and its contract as one plain JSON value.

Built by one pure function from plain data (no database, no settings, no clock), so the
tablet builds the same model offline (``static/js/document-model.js``); both are checked
against ``tests/vectors/document_model.json``. The PDF (server) and the screen (tablet)
are rendered from this model by one template; the client signs the SHA-256 of its
canonical JSON (sorted keys, no spaces, UTF-8), so a figure, a party or any legal text
that differs between what was shown and what the server rebuilds changes the hash.

Inputs (``sale_model(inputs=...)``), all plain JSON:

* ``device_reference``: the tablet's reference of the quote ("" when made on the server);
* ``quote_date`` (ISO date) and ``validity_days``;
* ``minutes_per_week``: total minutes the advisor proposes; ``estimate``: the estimate's
  minutes per week per activity, in the visit's order (the total is split in proportion,
  see ``minutes_split``);
* ``price_list``: ``id``, ``name``, ``prices`` (activity → label, hourly_price_ht,
  vat_rate) and ``fees`` (code, label, recurrence, amount_ht, vat_rates: activity →
  rate; the pricing splits a fee between the quote's activities);
* ``household`` and ``immediate_advance``: for the tax credit;
* ``client``: the prospect's fields as recorded (civility code, names, addresses, email,
  phone); ``company``, ``agency``, ``advisor``: the other parties as printed;
* ``legal_texts``: kind → ``version``, ``title``, ``body`` for every kind of
  ``LEGAL_KINDS``;
* ``contract``: ``None`` for a quote alone, else ``date`` (ISO) and
  ``early_start_requested``;
* ``services`` (optional): the nature of the services as ``services_summary`` gives it
  from the visit's answers (rooms, tasks, frequency); kept as ``quote.services`` when
  not empty (a model without it is the same as before this input existed).

A ``ModelError`` carries a stable ``code`` (the pricing's own code when the figures
cannot be priced), the same on both sides.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from quotes.pricing import PricingError, price, priced_as_json

MODEL_VERSION = 1
# The wording written in the document templates themselves: bump it when they change.
TEMPLATE_VERSION = "2027.1"
# Legal texts a sale shows, in the order the model lists them.
LEGAL_KINDS = (
    "precontract",
    "withdrawal",
    "no_payment",
    "early_start",
    "general_terms",
    "withdrawal_form",
    "consent",
)
# Printed civility, in French whatever the interface language (the documents are French).
CIVILITIES = {"mrs": "Mme", "mr": "M."}
_PLACEHOLDER = re.compile(r"\{(company\.[a-z_]+)\}")
_FIELD = re.compile(r"^_{3,}$")


class ModelError(ValueError):
    """The inputs cannot make a document; the message says why, ``code`` names the kind."""

    def __init__(self, message: str, code: str = "bad_input") -> None:
        super().__init__(message)
        self.code = code


def minutes_split(*, total: int, estimate: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split the advisor's weekly minutes between activities in proportion to the
    estimate; the last activity takes the remainder so the parts add up exactly."""
    estimated = sum(minutes for _, minutes in estimate)
    if total <= 0 or not estimate or estimated <= 0:
        raise ModelError("the hours per week must be more than zero", "bad_hours")
    out: dict[str, int] = {}
    left = total
    for index, (activity, minutes) in enumerate(estimate):
        if index == len(estimate) - 1:
            share = left
        else:
            share = int(
                (Decimal(total) * minutes / estimated).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            )
        out[activity] = share
        left -= share
    return {activity: minutes for activity, minutes in out.items() if minutes > 0}


def legal_blocks(body: str, company: Mapping[str, Any]) -> list[list[str]]:
    """["h", text] for a heading (a line starting with #), ["p", text] for a paragraph,
    ["f", ""] for a blank to fill in (a line of underscores). ``{company.x}`` is replaced
    by the company's ``x`` (line breaks of an address become commas)."""

    def fill(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            raw = str(company.get(match.group(1).removeprefix("company."), ""))
            return ", ".join(part.strip() for part in raw.splitlines() if part.strip())

        return _PLACEHOLDER.sub(value, text)

    out: list[list[str]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n")]
        paragraph: list[str] = []
        for line in lines:
            if line.startswith("#") or _FIELD.match(line):
                if paragraph:
                    out.append(["p", fill(" ".join(paragraph))])
                    paragraph = []
                if line.startswith("#"):
                    out.append(["h", fill(line.lstrip("# ").strip())])
                else:
                    out.append(["f", ""])
            elif line:
                paragraph.append(line)
        if paragraph:
            out.append(["p", fill(" ".join(paragraph))])
    return out


def _legal(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    texts = inputs.get("legal_texts") or {}
    company = inputs.get("company") or {}
    out = []
    for kind in LEGAL_KINDS:
        text = texts.get(kind)
        if not text:
            raise ModelError(f"no published legal text of kind {kind!r}", "no_legal_text")
        body = str(text["body"])
        out.append(
            {
                "kind": kind,
                "version": str(text["version"]),
                "title": str(text.get("title", "")),
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
                "blocks": legal_blocks(body, company),
            }
        )
    return out


def client_party(raw: Mapping[str, Any]) -> dict[str, str]:
    """The client as the documents print them, from the prospect's recorded fields."""

    def field(name: str) -> str:
        return str(raw.get(name) or "").strip()

    address = f"{field('address')}, {field('postal_code')} {field('city')}"
    place = address
    if field("intervention_address"):
        place = (
            f"{field('intervention_address')}, {field('intervention_postal_code')} "
            f"{field('intervention_city')}"
        )
    return {
        "civility": CIVILITIES.get(field("civility"), ""),
        "name": f"{field('first_name')} {field('last_name')}".strip(),
        "address": field("address"),
        "postal_code": field("postal_code"),
        "city": field("city"),
        "email": field("email"),
        "phone": field("phone"),
        "place_of_intervention": place,
    }


def _day(value: Any, what: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ModelError(f"{what}: not a date ({value!r})", "bad_date") from None


def pricing_input(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What ``quotes.pricing.price`` needs: lines from the split minutes and the list."""
    price_list = inputs.get("price_list") or {}
    prices = price_list.get("prices") or {}
    estimate = [(str(a), int(m)) for a, m in inputs.get("estimate") or []]
    lines = []
    for activity, minutes in minutes_split(
        total=int(inputs.get("minutes_per_week") or 0), estimate=estimate
    ).items():
        activity_price = prices.get(activity)
        if activity_price is None:
            raise ModelError(f"the price list has no price for {activity}", "no_price")
        lines.append(
            {
                "activity": activity,
                "label": str(activity_price["label"]),
                "minutes_per_week": minutes,
                "hourly_price_ht": str(activity_price["hourly_price_ht"]),
                "vat_rate": str(activity_price["vat_rate"]),
            }
        )
    return {
        "lines": lines,
        "fees": [dict(fee) for fee in price_list.get("fees") or []],
        "household": dict(inputs.get("household") or {}),
        "immediate_advance": bool(inputs.get("immediate_advance", False)),
    }


def sale_model(*, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The document model of a quote (``contract`` None) or of a quote and its contract."""
    quote_date = _day(inputs.get("quote_date"), "quote date")
    validity_days = int(inputs.get("validity_days") or 0)
    if validity_days <= 0:
        raise ModelError("the validity of a quote is at least one day", "bad_validity")
    priced_input = pricing_input(inputs)
    try:
        figures = priced_as_json(price(priced_input))
    except PricingError as exc:
        raise ModelError(str(exc), exc.code) from exc
    price_list = inputs.get("price_list") or {}
    contract_in = inputs.get("contract")
    contract = None
    if contract_in is not None:
        contract = {
            "date": _day(contract_in.get("date"), "contract date").isoformat(),
            "early_start_requested": bool(contract_in.get("early_start_requested", False)),
        }
    quote: dict[str, Any] = {
        "date": quote_date.isoformat(),
        "valid_until": (quote_date + timedelta(days=validity_days)).isoformat(),
        "validity_days": validity_days,
        "price_list": {"id": price_list.get("id"), "name": str(price_list.get("name", ""))},
        "pricing_input": priced_input,
        "figures": figures,
    }
    services = [dict(group) for group in inputs.get("services") or []]
    if services:
        quote["services"] = services
    return {
        "model": MODEL_VERSION,
        "template": TEMPLATE_VERSION,
        "references": {"device_reference": str(inputs.get("device_reference") or "")},
        "quote": quote,
        "parties": {
            "client": client_party(inputs.get("client") or {}),
            "company": dict(inputs.get("company") or {}),
            "agency": dict(inputs.get("agency") or {}),
            "advisor": str(inputs.get("advisor") or ""),
        },
        "legal": _legal(inputs),
        "contract": contract,
    }


def contract_model(
    *, quote_model: Mapping[str, Any], contract_date: str, early_start_requested: bool
) -> dict[str, Any]:
    """The model the client signs: the quote's, with the contract's part filled in."""
    return {
        **quote_model,
        "contract": {
            "date": _day(contract_date, "contract date").isoformat(),
            "early_start_requested": bool(early_start_requested),
        },
    }


def model_legal_versions(model: Mapping[str, Any]) -> dict[str, str]:
    """kind → version of the legal texts a model shows."""
    return {str(text["kind"]): str(text["version"]) for text in model.get("legal") or []}


def model_json(model: Mapping[str, Any]) -> str:
    """The canonical JSON the tablet hashes: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(model, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def model_sha256(model: Mapping[str, Any]) -> str:
    return hashlib.sha256(model_json(model).encode()).hexdigest()


# The nature of the services (SPEC §4: tasks, rooms, frequency), in French like the rest
# of the document. The catalogue's own French labels win where it has them.
ACTIVITY_LABELS = {
    "housekeeping": "Entretien du logement",
    "gardening": "Petits travaux de jardinage",
    "senior_care": "Aide aux personnes âgées ou dépendantes",
}
TASK_FREQUENCIES = {
    "each": "à chaque intervention",
    "every_2": "une intervention sur deux",
    "every_4": "une intervention sur quatre",
}
SCHEDULE_FREQUENCIES = {
    "twice_weekly": "Deux fois par semaine",
    "weekly": "Toutes les semaines",
    "fortnightly": "Tous les quinze jours",
    "monthly": "Tous les mois",
}
# The estimator's defaults when the frequency is not answered (visits/estimator.py).
DEFAULT_SCHEDULE = {"housekeeping": "weekly", "gardening": "fortnightly"}
EXTRA_LABELS = {
    "oven": "Four (intérieur)",
    "fridge": "Réfrigérateur (intérieur)",
    "balcony": "Balcon ou terrasse",
}
GARDEN_WORK = (
    ("lawn_m2", "Tonte de la pelouse", "m²"),
    ("hedge_m", "Taille des haies", "m"),
    ("weeding_m2", "Désherbage", "m²"),
)
_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")


def _amount(value: Any) -> str:
    """A number of the answers as French prints it: ``12.5`` → ``12,5``, ``3.0`` → ``3``."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if _DECIMAL_TEXT.match(text) and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _is_zero(text: str) -> bool:
    return text in ("", "0", "-0")


def _choice_labels(catalogue: Mapping[str, Any], key: str) -> dict[str, str]:
    for section in catalogue.get("sections") or []:
        for question in section.get("questions") or []:
            if question.get("key") == key:
                return {
                    str(choice.get("value")): str(choice.get("label_fr") or choice.get("value"))
                    for choice in question.get("choices") or []
                    if isinstance(choice, Mapping)
                }
    return {}


def _task_frequency(value: Any) -> str:
    """The French label of a task's frequency; "" when the task is not done.

    As the estimator weighs it: no frequency at all counts as each intervention."""
    code = str(value or "each")
    if code == "never":
        return ""
    return TASK_FREQUENCIES.get(code, "")


def _housekeeping_rows(
    catalogue: Mapping[str, Any], answers: Mapping[str, Any]
) -> list[dict[str, Any]]:
    room_types = {
        str(rt.get("key")): rt
        for rt in catalogue.get("room_types") or []
        if isinstance(rt, Mapping)
    }
    rows: list[dict[str, Any]] = []
    rooms = answers.get("rooms")
    for room in rooms if isinstance(rooms, list) else []:
        if not isinstance(room, Mapping):
            continue
        room_type = room_types.get(str(room.get("type")))
        raw_tasks = room.get("tasks")
        chosen: Mapping[str, Any] = raw_tasks if isinstance(raw_tasks, Mapping) else {}
        labels: dict[str, str] = {}
        order: list[str] = []
        if room_type is not None:
            for task in room_type.get("tasks") or []:
                key = str(task.get("key"))
                labels[key] = str(task.get("label_fr") or key)
                order.append(key)
        # Tasks of the catalogue in its order (missing = not done, as the estimator reads
        # them), then any task the catalogue no longer knows, under its code.
        order += [str(key) for key in chosen if str(key) not in labels]
        tasks = []
        for key in order:
            if key not in chosen:
                continue
            frequency = _task_frequency(chosen[key])
            if frequency:
                tasks.append({"label": labels.get(key, key), "frequency": frequency})
        if not tasks:
            continue
        type_label = str(room_type.get("label_fr") or "") if room_type else ""
        name = str(room.get("label") or "").strip() or type_label or str(room.get("type") or "")
        surface = _amount(room.get("surface_m2"))
        if _is_zero(surface) and room_type is not None:
            surface = _amount(room_type.get("default_surface_m2"))
        rows.append(
            {
                "label": name,
                "detail": "" if _is_zero(surface) else f"{surface}\u00a0m²",
                "tasks": tasks,
            }
        )

    extras = answers.get("extras")
    extras_frequency = _task_frequency(answers.get("extras_frequency"))
    if isinstance(extras, list) and extras and extras_frequency:
        names = {**EXTRA_LABELS, **_choice_labels(catalogue, "extras")}
        rows.append(
            {
                "label": "Prestations complémentaires",
                "detail": "",
                "tasks": [
                    {"label": names.get(str(extra), str(extra)), "frequency": extras_frequency}
                    for extra in extras
                ],
            }
        )
    windows = _amount(answers.get("windows_count"))
    windows_frequency = _task_frequency(answers.get("windows_frequency"))
    if not _is_zero(windows) and windows_frequency:
        rows.append(
            {
                "label": "Vitres",
                "detail": f"{windows} fenêtre{'' if windows == '1' else 's'}",
                "tasks": [{"label": "Nettoyage des vitres", "frequency": windows_frequency}],
            }
        )
    ironing = []
    for key, what in (
        ("ironing_shirts_per_week", "chemises"),
        ("ironing_items_per_week", "autres pièces"),
    ):
        count = _amount(answers.get(key))
        if not _is_zero(count):
            ironing.append({"label": f"{count} {what} par semaine", "frequency": ""})
    if ironing:
        rows.append({"label": "Repassage", "detail": "", "tasks": ironing})
    return rows


def _gardening_rows(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    tasks = []
    for key, label, unit in GARDEN_WORK:
        amount = _amount(answers.get(key))
        if not _is_zero(amount):
            tasks.append({"label": f"{label} : {amount}\u00a0{unit}", "frequency": ""})
    if answers.get("green_waste") == "yes":
        tasks.append({"label": "Évacuation des déchets verts", "frequency": ""})
    if not tasks:
        return []
    surface = _amount(answers.get("garden_surface_m2"))
    return [
        {
            "label": "Jardin",
            "detail": "" if _is_zero(surface) else f"{surface}\u00a0m²",
            "tasks": tasks,
        }
    ]


def services_summary(
    *, answers: Mapping[str, Any], catalogues: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The services of a visit as the quote describes them, one entry per activity (in
    the catalogues' order): its label, how often the interventions come, the start date
    wished for (ISO, or ""), and rows (a room, the extras, the windows, the ironing, the
    garden) each with a detail (surface, count) and its tasks with their frequency."""
    answers = answers if isinstance(answers, Mapping) else {}
    out: list[dict[str, Any]] = []
    for catalogue in catalogues:
        activity = str(catalogue.get("activity") or "")
        if activity == "housekeeping":
            rows = _housekeeping_rows(catalogue, answers)
            frequency_key = "frequency"
        elif activity == "gardening":
            rows = _gardening_rows(answers)
            frequency_key = "garden_frequency"
        else:
            rows, frequency_key = [], ""
        code = str(answers.get(frequency_key) or DEFAULT_SCHEDULE.get(activity, ""))
        labels = {**SCHEDULE_FREQUENCIES, **_choice_labels(catalogue, frequency_key)}
        out.append(
            {
                "activity": activity,
                "label": ACTIVITY_LABELS.get(activity, activity),
                "frequency": labels.get(code, "") if frequency_key else "",
                "start_date": str(answers.get("start_date") or ""),
                "rows": rows,
            }
        )
    return out
