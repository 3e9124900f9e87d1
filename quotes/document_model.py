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
  vat_rate) and ``fees``;
* ``household`` and ``immediate_advance``: for the tax credit;
* ``client``: the prospect's fields as recorded (civility code, names, addresses, email,
  phone); ``company``, ``agency``, ``advisor``: the other parties as printed;
* ``legal_texts``: kind → ``version``, ``title``, ``body`` for every kind of
  ``LEGAL_KINDS``;
* ``contract``: ``None`` for a quote alone, else ``date`` (ISO) and
  ``early_start_requested``.
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
TEMPLATE_VERSION = "2026.12"
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
    """The inputs cannot make a document; the message says why."""


def minutes_split(*, total: int, estimate: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split the advisor's weekly minutes between activities in proportion to the
    estimate; the last activity takes the remainder so the parts add up exactly."""
    estimated = sum(minutes for _, minutes in estimate)
    if total <= 0 or not estimate or estimated <= 0:
        raise ModelError("the hours per week must be more than zero")
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
            raise ModelError(f"no published legal text of kind {kind!r}")
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
        raise ModelError(f"{what}: not a date ({value!r})") from None


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
            raise ModelError(f"the price list has no price for {activity}")
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
        raise ModelError("the validity of a quote is at least one day")
    priced_input = pricing_input(inputs)
    try:
        figures = priced_as_json(price(priced_input))
    except PricingError as exc:
        raise ModelError(str(exc)) from exc
    price_list = inputs.get("price_list") or {}
    contract_in = inputs.get("contract")
    contract = None
    if contract_in is not None:
        contract = {
            "date": _day(contract_in.get("date"), "contract date").isoformat(),
            "early_start_requested": bool(contract_in.get("early_start_requested", False)),
        }
    return {
        "model": MODEL_VERSION,
        "template": TEMPLATE_VERSION,
        "references": {"device_reference": str(inputs.get("device_reference") or "")},
        "quote": {
            "date": quote_date.isoformat(),
            "valid_until": (quote_date + timedelta(days=validity_days)).isoformat(),
            "validity_days": validity_days,
            "price_list": {"id": price_list.get("id"), "name": str(price_list.get("name", ""))},
            "pricing_input": priced_input,
            "figures": figures,
        },
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
