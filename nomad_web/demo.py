"""Demo data for the embedded mode: two brands, three agencies, their people and a week
of visits. Idempotent: every row has a fixed natural key and is only created if missing,
so a second run on the same week changes nothing. A run in a later week adds that week's
visits, so the demo agenda is never empty.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from announcements.models import Announcement
from organisation.models import Agency, Brand, Membership, Role, User
from quotes.models import ActivityPrice, Fee, FeeRecurrence, FeeVatRate, PriceList
from visits.catalogue import catalogue_load_default
from visits.models import Activity, Prospect, Visit

DEMO_PASSWORD = "nomad-demo"  # noqa: S105 - documented demo password
_NAMESPACE = uuid.UUID("4c0d9e5a-7a43-4d0b-9b7e-6f1f3f0d2a11")

BRANDS = [
    {
        "slug": "maison-nette",
        "name": "Maison Nette",
        "legal_name": "Maison Nette Services SAS",
        "legal_address": "12 rue de la Fosse, 44000 Nantes",
        "siren": "812345678",
        "siret": "81234567800021",
        "sap_number": "SAP812345678",
        "primary_colour": "#1f4e79",
        "secondary_colour": "#f2a900",
        "quote_prefix": "MN",
        "contact_email": "contact@maison-nette.demo.test",
        "contact_phone": "02 40 00 00 00",
        "website": "https://maison-nette.demo.test",
        "legal_form": "SAS",
        "share_capital": "50000.00",
        "register": "RCS",
        "register_city": "Nantes",
        "vat_number": "FR25812345678",
        "mediator_name": "Médiateur de la consommation des services à la personne (démo)",
        "mediator_address": "10 rue de la Médiation, 75008 Paris",
        "mediator_website": "https://mediateur-sap.demo.test",
    },
    {
        "slug": "vert-logis",
        "name": "Vert Logis",
        "legal_name": "Vert Logis SARL",
        "legal_address": "3 place du Ralliement, 49100 Angers",
        "siren": "823456789",
        "siret": "82345678900017",
        "sap_number": "SAP823456789",
        "primary_colour": "#2e6b30",
        "secondary_colour": "#e0b84c",
        "quote_prefix": "VL",
        "contact_email": "contact@vert-logis.demo.test",
        "contact_phone": "02 41 00 00 00",
        "website": "https://vert-logis.demo.test",
        "legal_form": "SARL",
        "share_capital": "20000.00",
        "register": "RCS",
        "register_city": "Angers",
        "vat_number": "FR84823456789",
        "mediator_name": "Médiateur de la consommation des services à la personne (démo)",
        "mediator_address": "10 rue de la Médiation, 75008 Paris",
        "mediator_website": "https://mediateur-sap.demo.test",
    },
]

AGENCIES = [
    (
        "maison-nette",
        "MN-NAN",
        "Nantes Centre",
        "8 quai de la Fosse",
        "44000",
        "Nantes",
        "ODY-044-01",
    ),
    (
        "maison-nette",
        "MN-REN",
        "Rennes Sud",
        "21 boulevard de la Liberté",
        "35000",
        "Rennes",
        "ODY-035-02",
    ),
    ("vert-logis", "VL-ANG", "Angers", "5 rue Lenepveu", "49100", "Angers", "ODY-049-01"),
]

# (email, first name, last name, role, agency codes)
PEOPLE = [
    ("conseiller@demo.test", "Camille", "Martin", Role.ADVISOR, ["MN-NAN"]),
    ("conseiller.nantes2@demo.test", "Hugo", "Bernard", Role.ADVISOR, ["MN-NAN"]),
    ("conseiller.nantes3@demo.test", "Inès", "Petit", Role.ADVISOR, ["MN-NAN"]),
    ("manager@demo.test", "Sophie", "Durand", Role.MANAGER, ["MN-NAN"]),
    ("conseiller.rennes1@demo.test", "Lucas", "Leroy", Role.ADVISOR, ["MN-REN"]),
    ("conseiller.rennes2@demo.test", "Léa", "Moreau", Role.ADVISOR, ["MN-REN"]),
    ("manager.rennes@demo.test", "Antoine", "Simon", Role.MANAGER, ["MN-REN"]),
    ("conseiller.angers1@demo.test", "Chloé", "Laurent", Role.ADVISOR, ["VL-ANG"]),
    ("conseiller.angers2@demo.test", "Nathan", "Lefebvre", Role.ADVISOR, ["VL-ANG"]),
    ("conseiller.angers3@demo.test", "Manon", "Michel", Role.ADVISOR, ["VL-ANG"]),
    ("manager.angers@demo.test", "Julien", "Garcia", Role.MANAGER, ["VL-ANG"]),
    ("staff@demo.test", "Claire", "Roux", Role.STAFF, []),
]

PROSPECT_NAMES = [
    ("Marie", "Lambert"),
    ("Jean", "Fontaine"),
    ("Françoise", "Rousseau"),
    ("Pierre", "Vincent"),
    ("Monique", "Muller"),
    ("Michel", "Lefèvre"),
    ("Nathalie", "Faure"),
    ("Philippe", "André"),
    ("Isabelle", "Mercier"),
    ("Alain", "Blanc"),
    ("Catherine", "Guérin"),
    ("Bernard", "Boyer"),
    ("Sylvie", "Garnier"),
    ("Patrick", "Chevalier"),
    ("Martine", "François"),
    ("Daniel", "Legrand"),
    ("Christine", "Gauthier"),
    ("Gérard", "Perrin"),
    ("Valérie", "Robin"),
    ("Éric", "Clément"),
    ("Sandrine", "Morin"),
    ("Thierry", "Nicolas"),
    ("Véronique", "Henry"),
    ("Olivier", "Roussel"),
]
STREETS = [
    "rue des Lilas",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "impasse des Tilleuls",
    "boulevard Pasteur",
    "rue de la Paix",
    "chemin des Vignes",
    "allée des Peupliers",
]
SLOTS = [time(9, 30), time(14, 0)]
_DEMO_ACTIVITIES = [
    [Activity.HOUSEKEEPING],
    [Activity.HOUSEKEEPING],
    [Activity.GARDENING],
    [Activity.HOUSEKEEPING, Activity.GARDENING],
]
PROSPECTS_PER_AGENCY = 8

# Demo prices per brand: (activity, label, hourly price HT, VAT rate). VAT rates are data.
DEMO_PRICES = [
    ("housekeeping", "Ménage et repassage", Decimal("24.50"), Decimal("10.00")),
    ("gardening", "Petits travaux de jardinage", Decimal("30.00"), Decimal("20.00")),
]
# An accessory fee follows the VAT rate of the service it goes with (10 % with household
# tasks, 20 % with small gardening, 5.5 % with help to a dependent person); a quote with
# several activities splits it pro rata of their amounts (quotes/pricing.py).
DEMO_FEE_RATES = {
    "housekeeping": Decimal("10.00"),
    "gardening": Decimal("20.00"),
    "senior_care": Decimal("5.50"),
}
# (code, label, recurrence, amount HT, VAT rate per activity)
DEMO_FEES = [
    ("dossier", "Frais de dossier", FeeRecurrence.ONE_OFF, Decimal("25.00"), DEMO_FEE_RATES),
    (
        "deplacement",
        "Frais de déplacement",
        FeeRecurrence.MONTHLY,
        Decimal("4.00"),
        DEMO_FEE_RATES,
    ),
]
DEMO_PRICES_FROM = date(2025, 1, 1)


@dataclass
class DemoSummary:
    created: dict[str, int]

    def __str__(self) -> str:
        return ", ".join(f"{name}: {count}" for name, count in self.created.items())


WELCOME = (
    "Votre agenda, vos visites, vos devis et vos contrats sont sur la tablette, même sans "
    "réseau : le client signe sur place, tout part au bureau dès le retour du réseau.\n"
    "Retrouvez toutes les nouveautés dans le menu « Nouveautés »."
)


def demo_email(last_name: str, number: int) -> str:
    """A prospect's address the forms accept: the name without accents ("lefevre.6@…")."""
    plain = unicodedata.normalize("NFKD", last_name).encode("ascii", "ignore").decode()
    local = "".join(c if c.isalnum() else "-" for c in plain.lower()).strip("-")
    return f"{local}.{number}@prospect.demo.test"


def _working_days(start: date, count: int) -> list[date]:
    days: list[date] = []
    current = start
    while len(days) < count:
        if current.weekday() != 6:  # no visits on Sundays
            days.append(current)
        current += timedelta(days=1)
    return days


def demo_price_list(*, brand: Brand) -> bool:
    """The brand's demo price list (in force since 2025, no end); True when created."""
    price_list, new = PriceList.objects.get_or_create(
        brand=brand,
        agency=None,
        effective_from=DEMO_PRICES_FROM,
        defaults={"name": f"Tarifs {brand.name}", "validity_days": 30},
    )
    if new:
        for activity, label, hourly, vat in DEMO_PRICES:
            ActivityPrice.objects.create(
                price_list=price_list,
                activity=activity,
                label=label,
                hourly_price_ht=hourly,
                vat_rate=vat,
            )
        for code, label, recurrence, amount, rates in DEMO_FEES:
            fee = Fee.objects.create(
                price_list=price_list,
                code=code,
                label=label,
                recurrence=recurrence,
                amount_ht=amount,
            )
            for activity, rate in rates.items():
                FeeVatRate.objects.create(fee=fee, activity=activity, vat_rate=rate)
    return new


@transaction.atomic
def demo_seed(*, today: date | None = None) -> DemoSummary:
    today = today or timezone.localdate()
    catalogue_load_default()
    created = dict.fromkeys(
        ["brands", "agencies", "people", "prospects", "visits", "price lists"], 0
    )

    brands = {}
    for data in BRANDS:
        fields = {k: v for k, v in data.items() if k != "slug"}
        brand, new = Brand.objects.get_or_create(slug=data["slug"], defaults=fields)
        # A demo database from before the legal identity fields: complete what is blank.
        blank = {k: v for k, v in fields.items() if getattr(brand, k) in ("", None)}
        if blank:
            Brand.objects.filter(pk=brand.pk).update(**blank)
            brand.refresh_from_db()
        brands[brand.slug] = brand
        created["brands"] += new

    for brand in brands.values():
        created["price lists"] += demo_price_list(brand=brand)

    agencies = {}
    for brand_slug, code, name, address, postal_code, city, bo_code in AGENCIES:
        agency, new = Agency.objects.get_or_create(
            code=code,
            defaults={
                "brand": brands[brand_slug],
                "name": name,
                "address": address,
                "postal_code": postal_code,
                "city": city,
                "phone": "02 00 00 00 00",
                "email": f"{code.lower()}@demo.test",
                "backoffice_code": bo_code,
            },
        )
        agencies[code] = agency
        created["agencies"] += new

    advisors: dict[str, list[User]] = {code: [] for code in agencies}
    for email, first_name, last_name, role, codes in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, role=role
            )
            created["people"] += 1
        for code in codes:
            Membership.objects.get_or_create(user=user, agency=agencies[code])
            if role == Role.ADVISOR:
                advisors[code].append(user)

    week = today.isocalendar()
    days = _working_days(today, PROSPECTS_PER_AGENCY // len(SLOTS))
    tz = timezone.get_current_timezone()
    for a_index, (code, agency) in enumerate(agencies.items()):
        for i in range(PROSPECTS_PER_AGENCY):
            n = a_index * PROSPECTS_PER_AGENCY + i
            first_name, last_name = PROSPECT_NAMES[n % len(PROSPECT_NAMES)]
            prospect, new = Prospect.objects.get_or_create(
                backoffice_ref=f"DEMO-{code}-{i + 1:02d}",
                defaults={
                    "agency": agency,
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": demo_email(last_name, i + 1),
                    "phone": f"06 12 34 {n // 10:02d} {n % 100:02d}",
                    "address": f"{(n * 7) % 90 + 2} {STREETS[n % len(STREETS)]}",
                    "postal_code": agency.postal_code,
                    "city": agency.city,
                },
            )
            created["prospects"] += new
            if not new and not prospect.email.isascii():
                # Seeded before the addresses were made plain: "lefèvre.6@…" fails the form.
                Prospect.objects.filter(pk=prospect.pk).update(email=demo_email(last_name, i + 1))
            visit_uuid = uuid.uuid5(
                _NAMESPACE, f"{prospect.backoffice_ref}:{week.year}-W{week.week}"
            )
            day, slot = days[i // len(SLOTS)], SLOTS[i % len(SLOTS)]
            team = advisors[code]
            _, new = Visit.objects.get_or_create(
                uuid=visit_uuid,
                defaults={
                    "prospect": prospect,
                    "agency": agency,
                    "advisor": team[i % len(team)],
                    "scheduled_at": datetime.combine(day, slot, tzinfo=tz),
                    "duration_minutes": 90,
                    "activities": _DEMO_ACTIVITIES[i % len(_DEMO_ACTIVITIES)],
                },
            )
            created["visits"] += new

    welcome, _new = Announcement.objects.get_or_create(
        title="Bienvenue dans NOMAD web",
        defaults={
            "body": WELCOME,
            "for_advisors": True,
            "for_managers": True,
            "for_staff": True,
        },
    )
    if "bientôt vos devis" in welcome.body:  # the text of an older demo, before the sale
        Announcement.objects.filter(pk=welcome.pk).update(body=WELCOME)
    return DemoSummary(created=created)
