"""Fees at the VAT rate of the activity they go with (issue 16): the price list's rates per
fee and activity, the split of a fee on a quote with several activities, the gardening
sub-cap with its fees, the demo data, the admin and the migration of older lists."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps
from django.test import Client
from django.urls import reverse

from organisation.models import Agency, User
from quotes.models import ActivityPrice, Fee, FeeVatRate, PriceList
from quotes.selectors import price_list_as_data
from quotes.services import QuoteError, quote_create_draft
from tests.factories import make_price_list, make_visit_ready_to_quote

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def _rows(figures: dict[str, Any], code: str) -> list[dict[str, str]]:
    return [f for f in figures["fees"] if f["code"] == code]


def test_the_tablet_receives_each_fees_rate_per_activity(agency: Agency) -> None:
    make_price_list(agency.brand)
    data = price_list_as_data(agency=agency, on=DAY)
    assert data is not None
    travel = next(f for f in data["fees"] if f["code"] == "deplacement")
    assert travel["vat_rates"] == {"housekeeping": "10.00", "gardening": "20.00"}
    assert "vat_rate" not in travel


def test_a_housekeeping_quote_has_its_fees_at_10_percent(agency: Agency) -> None:
    make_price_list(agency.brand)
    quote = quote_create_draft(visit=make_visit_ready_to_quote(agency), user=None, on=DAY)
    [dossier] = _rows(quote.figures, "dossier")
    assert (dossier["vat_rate"], dossier["amount_ht"], dossier["amount_ttc"]) == (
        "10.00",
        "25.00",
        "27.50",
    )


def test_a_gardening_quote_counts_its_travel_fee_in_the_sub_cap(agency: Agency) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, minutes={"gardening": 160})
    figures = quote_create_draft(visit=visit, user=None, on=DAY).figures
    [travel] = _rows(figures, "deplacement")
    assert (travel["activity"], travel["vat_rate"], travel["amount_ttc"]) == (
        "gardening",
        "20.00",
        "4.80",
    )
    # 30.00 × 160 min: 416.00 TTC a month, + 4.80 of travel = 420.80; × 12 = 5,049.60, all
    # gardening: the base is the 5,000 sub-cap (the fee is not counted outside it).
    credit = figures["tax_credit"]
    assert (credit["gardening_expenses"], credit["base"], credit["annual"]) == (
        "5049.60",
        "5000.00",
        "2500.00",
    )


def test_a_fee_is_split_pro_rata_of_each_activitys_amount(agency: Agency) -> None:
    make_price_list(agency.brand)
    visit = make_visit_ready_to_quote(agency, minutes={"housekeeping": 180, "gardening": 120})
    figures = quote_create_draft(visit=visit, user=None, on=DAY).figures
    # 318.50 HT of housekeeping, 260.00 of gardening: 25.00 × 318.50 / 578.50 = 13.76.
    housekeeping, gardening = _rows(figures, "dossier")
    assert (housekeeping["activity"], housekeeping["amount_ht"], housekeeping["vat_rate"]) == (
        "housekeeping",
        "13.76",
        "10.00",
    )
    assert (gardening["activity"], gardening["amount_ht"], gardening["vat_rate"]) == (
        "gardening",
        "11.24",
        "20.00",
    )
    assert housekeeping["label"] == "Frais de dossier (Ménage et repassage)"
    assert figures["one_off"]["ht"] == "25.00"


def test_it_says_which_fee_has_no_rate_for_the_quotes_activity(agency: Agency) -> None:
    price_list = make_price_list(agency.brand)
    FeeVatRate.objects.filter(fee__price_list=price_list, activity="gardening").delete()
    visit = make_visit_ready_to_quote(agency, minutes={"gardening": 120})
    with pytest.raises(
        QuoteError, match=r"« Frais de déplacement » .* n’ont pas de taux de TVA pour"
    ):
        quote_create_draft(visit=visit, user=None, on=DAY)


def test_the_demo_fees_follow_the_rate_of_the_service(agency: Agency) -> None:
    from nomad_web.demo import demo_price_list

    brand = agency.brand
    assert demo_price_list(brand=brand)
    price_list = PriceList.objects.get(brand=brand)
    service_rates = {p.activity: p.vat_rate for p in price_list.prices.all()}
    for fee in Fee.objects.filter(price_list=price_list):
        rates = {r.activity: r.vat_rate for r in fee.vat_rates.all()}
        assert rates["senior_care"] == Decimal("5.50")
        assert {a: rates[a] for a in service_rates} == service_rates  # 10 % and 20 %


def test_staff_edit_a_fees_rates_in_the_admin(client: Client, staff: User, agency: Agency) -> None:
    fee = Fee.objects.filter(price_list=make_price_list(agency.brand)).first()
    assert fee is not None
    TOTP.activate(staff, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(staff)
    page = client.get(reverse("admin:quotes_fee_change", args=[fee.pk]))
    assert page.status_code == 200
    assert b"vat_rates-0-vat_rate" in page.content and b"vat_rates-1-vat_rate" in page.content
    price_list_page = client.get(reverse("admin:quotes_pricelist_change", args=[fee.price_list_id]))
    assert reverse("admin:quotes_fee_change", args=[fee.pk]).encode() in price_list_page.content


def test_the_migration_gives_older_fees_the_rate_of_each_priced_activity(agency: Agency) -> None:
    price_list = make_price_list(agency.brand, fees=False)
    ActivityPrice.objects.create(
        price_list=price_list,
        activity="senior_care",
        label="Aide",
        hourly_price_ht=Decimal("28.00"),
        vat_rate=Decimal("5.5"),
    )
    fee = Fee.objects.create(
        price_list=price_list, code="dossier", label="Frais", amount_ht=Decimal("25.00")
    )
    migration = importlib.import_module("quotes.migrations.0006_fee_vat_rate_per_activity")
    migration.rates_from_activities(apps, None)
    rates = {r.activity: r.vat_rate for r in fee.vat_rates.all()}
    assert rates == {
        "housekeeping": Decimal("10.00"),
        "gardening": Decimal("20.00"),
        "senior_care": Decimal("5.50"),
    }
