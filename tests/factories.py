from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from organisation.models import Agency, Brand, Membership, Role, User
from quotes.models import ActivityPrice, Fee, FeeVatRate, PriceList
from visits.models import Activity, Prospect, Visit, VisitStatus

PASSWORD = "correct-horse-battery"


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} SAS")
    legal_address = "1 rue de la Paix, 75002 Paris"
    siren = "812345678"
    siret = "81234567800021"
    sap_number = "SAP812345678"
    primary_colour = "#1f4e79"
    secondary_colour = "#f2a900"
    quote_prefix = factory.Sequence(lambda n: f"B{n}")
    contact_email = "contact@brand.test"
    contact_phone = "01 00 00 00 00"
    website = "https://brand.test"
    legal_form = "SAS"
    share_capital = "10000.00"
    register_city = "Paris"
    vat_number = "FR25812345678"
    mediator_name = "Médiateur test des services à la personne"
    mediator_address = "1 rue du Médiateur, 75001 Paris"
    mediator_website = "https://mediateur.test"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    brand = factory.SubFactory(BrandFactory)
    code = factory.Sequence(lambda n: f"AG-{n}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    address = "2 place de la Mairie"
    postal_code = "44000"
    city = "Nantes"
    phone = "02 00 00 00 00"
    email = factory.LazyAttribute(lambda o: f"{o.code.lower()}@agency.test")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = Role.ADVISOR
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def agencies(self, create: bool, extracted: list[Agency] | None, **kwargs: object) -> None:
        self.save()
        for agency in extracted or []:
            Membership.objects.create(user=self, agency=agency)


class ProspectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prospect

    agency = factory.SubFactory(AgencyFactory)
    first_name = "Marie"
    last_name = factory.Sequence(lambda n: f"Prospect{n}")
    email = "prospect@example.test"
    phone = "06 00 00 00 00"
    address = "10 rue des Lilas"
    postal_code = "44000"
    city = "Nantes"
    # Most tests are past the prospect step; those about consent pass consent_at=None.
    consent_at = factory.LazyFunction(timezone.now)
    consent_text_version = "2026-11"


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    prospect = factory.SubFactory(ProspectFactory)
    agency = factory.LazyAttribute(lambda o: o.prospect.agency)
    advisor = None
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    activities = factory.LazyFunction(lambda: [Activity.HOUSEKEEPING])


def make_price_list(
    brand: Brand,
    *,
    agency: Agency | None = None,
    effective_from: date = date(2025, 1, 1),
    effective_to: date | None = None,
    housekeeping: str = "24.50",
    gardening: str | None = "30.00",
    fees: bool = True,
) -> PriceList:
    """A price list with housekeeping at 10 % and gardening at 20 % VAT, and two fees
    at the rate of each activity."""
    price_list = PriceList.objects.create(
        brand=brand,
        agency=agency,
        name=f"Tarifs {brand.name}",
        effective_from=effective_from,
        effective_to=effective_to,
        validity_days=30,
    )
    ActivityPrice.objects.create(
        price_list=price_list,
        activity="housekeeping",
        label="Ménage et repassage",
        hourly_price_ht=Decimal(housekeeping),
        vat_rate=Decimal("10"),
    )
    if gardening:
        ActivityPrice.objects.create(
            price_list=price_list,
            activity="gardening",
            label="Petits travaux de jardinage",
            hourly_price_ht=Decimal(gardening),
            vat_rate=Decimal("20"),
        )
    if fees:
        # Accessory fees follow the rate of the service they go with.
        rates = {"housekeeping": Decimal("10"), "gardening": Decimal("20")}
        for code, label, recurrence, amount in [
            ("dossier", "Frais de dossier", "one_off", "25.00"),
            ("deplacement", "Frais de déplacement", "monthly", "4.00"),
        ]:
            fee = Fee.objects.create(
                price_list=price_list,
                code=code,
                label=label,
                recurrence=recurrence,
                amount_ht=Decimal(amount),
            )
            for activity, rate in rates.items():
                FeeVatRate.objects.create(fee=fee, activity=activity, vat_rate=rate)
    return price_list


def make_visit_ready_to_quote(
    agency: Agency,
    *,
    minutes: dict[str, int] | None = None,
    proposed: int | None = None,
    **prospect: object,
) -> Visit:
    """A visit whose estimate is confirmed (status needs captured), as the estimator stores it."""
    minutes = minutes or {"housekeeping": 180}
    total = sum(minutes.values())
    return VisitFactory(
        prospect=ProspectFactory(agency=agency, **prospect),
        activities=list(minutes),
        status=VisitStatus.NEEDS_CAPTURED,
        estimate={
            "version": "test",
            "minutes_per_week": total,
            "activities": [
                {
                    "activity": activity,
                    "minutes_per_intervention": value,
                    "interventions_per_week": 1.0,
                    "minutes_per_week": value,
                    "lines": [],
                }
                for activity, value in minutes.items()
            ],
        },
        estimated_minutes=total,
        proposed_minutes=proposed if proposed is not None else total,
    )
