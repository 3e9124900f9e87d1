"""A year of network-scale data for the dashboard and its benchmark.

Group scale by default: 15 brands, 630 agencies, 3,000 advisors (and one manager per
agency), 250,000 visits over the twelve months up to ``--until``, with quotes and
contracts. The same ``--seed`` and ``--until`` give the same data. Written with
``bulk_create`` in batches inside one transaction: it all arrives, or nothing does.
It refuses to run on a database that already holds its data (brands ``vol-…``).

Shape (plausible, not measured):

* agencies differ in size (a few big ones, many small ones);
* more visits in August–September (the school year starts: households reorganise);
* app adoption grows from 45 % to 90 % over the first nine months, then holds;
* of the visits held, about 60 % get a quote and 60 % of those are signed, a few days
  after the visit; quotes issued in the last month are still waiting or expire.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from organisation.models import Agency, Brand, Membership, Role, User
from quotes.models import (
    ActivityPrice,
    Contract,
    LegalText,
    LegalTextKind,
    PriceList,
    Quote,
    QuoteCounter,
    QuoteStatus,
)
from quotes.pricing import price, priced_as_json
from visits.models import Activity, Channel, Prospect, Visit, VisitStatus

BRANDS = 15
AGENCIES = 630
ADVISORS = 3000
VISITS = 250_000
BATCH = 5000
SLUG_PREFIX = "vol-"

# Relative number of visits per calendar month (January first): the rentrée peak.
MONTH_WEIGHTS = [0.9, 0.9, 1.0, 1.0, 1.0, 0.9, 0.7, 1.4, 1.6, 1.1, 1.0, 0.8]
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Hugo",
    "Lucas",
    "Louis",
    "Jules",
    "Nathan",
    "Sarah",
    "Emma",
    "Paul",
    "Marie",
    "Julien",
    "Claire",
    "Thomas",
    "Anne",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Andre",
    "Mercier",
]
CITIES = [
    ("Nantes", "44000"),
    ("Rennes", "35000"),
    ("Angers", "49000"),
    ("Lyon", "69003"),
    ("Lille", "59000"),
    ("Bordeaux", "33000"),
    ("Toulouse", "31000"),
    ("Tours", "37000"),
    ("Dijon", "21000"),
    ("Nancy", "54000"),
    ("Caen", "14000"),
    ("Brest", "29200"),
]


class Command(BaseCommand):
    help = "Generate a deterministic year of data at group scale (dashboard, benchmark)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visits", type=int, default=VISITS)
        parser.add_argument("--agencies", type=int, default=AGENCIES)
        parser.add_argument("--advisors", type=int, default=ADVISORS)
        parser.add_argument("--brands", type=int, default=BRANDS)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--until", type=date.fromisoformat, default=None, help="last day (default: today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Brand.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            raise CommandError(
                "Volume data is already here (brands vol-…): use a fresh database to seed again."
            )
        brands, agencies, advisors = options["brands"], options["agencies"], options["advisors"]
        if not 1 <= brands <= agencies <= advisors:
            raise CommandError("Expected 1 ≤ brands ≤ agencies ≤ advisors.")
        terms = LegalText.objects.filter(
            kind=LegalTextKind.GENERAL_TERMS, published_at__isnull=False
        ).first()
        if terms is None:
            raise CommandError("No published general terms: run the migrations first.")
        seeder = _Seeder(
            # Reproducible test data, not secrets: a seeded generator is what is wanted.
            rng=random.Random(options["seed"]),  # noqa: S311
            until=options["until"] or timezone.localdate(),
            terms=terms,
            write=self.stdout.write,
        )
        started = perf_counter()
        with transaction.atomic():
            seeder.organisation(brands=brands, agencies=agencies, advisors=advisors)
            seeder.visits(total=options["visits"])
            seeder.counters_save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {options['visits']:,} visits in {perf_counter() - started:.0f} s."
            )
        )


class _Seeder:
    def __init__(self, *, rng: random.Random, until: date, terms: LegalText, write: Any) -> None:
        self.rng, self.until, self.terms, self.write = rng, until, terms, write
        self.start = date(until.year - 1, until.month, 1) + timedelta(days=32)
        self.start = self.start.replace(day=1)  # first day of the month eleven months back
        self.counters: Counter[tuple[int, int]] = Counter()
        self.figures_cache: dict[tuple[int, tuple[tuple[str, int], ...]], dict[str, Any]] = {}

    # --- Brands, agencies, people ------------------------------------------------------

    def organisation(self, *, brands: int, agencies: int, advisors: int) -> None:
        rng = self.rng
        self.brands = Brand.objects.bulk_create(
            Brand(
                name=f"Volume {n:02d}",
                slug=f"{SLUG_PREFIX}{n:02d}",
                legal_name=f"Volume {n:02d} SAS",
                legal_address="1 rue de la Paix, 75002 Paris",
                siren="812345678",
                siret="81234567800021",
                sap_number="SAP812345678",
                quote_prefix=f"V{n:02d}",
                contact_email=f"contact@vol{n:02d}.test",
                contact_phone="01 00 00 00 00",
            )
            for n in range(1, brands + 1)
        )
        self.price_lists = {}
        for brand in self.brands:
            price_list = PriceList.objects.create(
                brand=brand,
                name=f"Tarifs {brand.name}",
                effective_from=self.start - timedelta(days=365),
                validity_days=30,
            )
            ActivityPrice.objects.bulk_create(
                [
                    ActivityPrice(price_list=price_list, activity=Activity.HOUSEKEEPING,
                                  label="Ménage et repassage", hourly_price_ht=Decimal("24.50"),
                                  vat_rate=Decimal("10")),
                    ActivityPrice(price_list=price_list, activity=Activity.GARDENING,
                                  label="Petits travaux de jardinage",
                                  hourly_price_ht=Decimal("30.00"), vat_rate=Decimal("20")),
                ]
            )  # fmt: skip
            self.price_lists[brand.pk] = price_list
        agency_rows = []
        for n in range(agencies):
            city, postcode = rng.choice(CITIES)
            agency_rows.append(
                Agency(
                    brand=self.brands[n % brands],
                    code=f"VOL-{n + 1:04d}",
                    name=f"{city} {n + 1:04d}",
                    address=f"{rng.randint(1, 120)} rue de la République",
                    postal_code=postcode,
                    city=city,
                    phone="02 00 00 00 00",
                    email=f"agence{n + 1:04d}@volume.test",
                )
            )
        self.agencies = Agency.objects.bulk_create(agency_rows, batch_size=BATCH)
        # One known password hash for everyone: hashing 3,600 passwords would take minutes.
        password = make_password(None)
        people, homes = [], []
        for n in range(advisors):
            agency = self.agencies[n % agencies]  # every agency gets at least one advisor
            people.append(
                User(
                    email=f"conseiller{n + 1:05d}@volume.test",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    role=Role.ADVISOR,
                    password=password,
                )
            )
            homes.append(agency)
        for n, agency in enumerate(self.agencies):
            people.append(
                User(
                    email=f"manager{n + 1:04d}@volume.test",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    role=Role.MANAGER,
                    password=password,
                )
            )
            homes.append(agency)
        created = User.objects.bulk_create(people, batch_size=BATCH)
        Membership.objects.bulk_create(
            [Membership(user=u, agency=a) for u, a in zip(created, homes, strict=True)],
            batch_size=BATCH,
        )
        self.advisors_of: dict[int, list[int]] = {a.pk: [] for a in self.agencies}
        for user, agency in zip(created[:advisors], homes[:advisors], strict=True):
            self.advisors_of[agency.pk].append(user.pk)
        # Agencies differ in size: a long tail of small ones and a few big ones.
        self.agency_weights = [rng.lognormvariate(0, 0.6) for _ in self.agencies]
        self.write(f"  {brands} brands, {agencies} agencies, {advisors} advisors")

    # --- Visits, quotes, contracts -----------------------------------------------------

    def _days(self) -> tuple[list[date], list[float]]:
        days, weights = [], []
        day = self.start
        while day <= self.until:
            if day.weekday() < 6:  # no visits on Sundays
                days.append(day)
                weights.append(MONTH_WEIGHTS[day.month - 1])
            day += timedelta(days=1)
        return days, weights

    def _adoption(self, day: date) -> float:
        months = (day.year - self.start.year) * 12 + day.month - self.start.month
        return 0.45 + 0.45 * min(months, 8) / 8

    def _figures(self, brand_id: int, minutes: dict[str, int]) -> dict[str, Any]:
        """The priced figures of a quote; few distinct inputs, so each is priced once."""
        key = (brand_id, tuple(sorted(minutes.items())))
        if key not in self.figures_cache:
            prices = {"housekeeping": ("24.50", "10"), "gardening": ("30.00", "20")}
            self.figures_cache[key] = priced_as_json(
                price(
                    {
                        "lines": [
                            {
                                "activity": activity,
                                "label": activity,
                                "minutes_per_week": value,
                                "hourly_price_ht": prices[activity][0],
                                "vat_rate": prices[activity][1],
                            }
                            for activity, value in sorted(minutes.items())
                        ],
                        "fees": [],
                        "household": {},
                        "immediate_advance": False,
                    }
                )
            )
        return self.figures_cache[key]

    def visits(self, *, total: int) -> None:
        rng = self.rng
        days, day_weights = self._days()
        tz = timezone.get_current_timezone()
        done = 0
        while done < total:
            size = min(BATCH, total - done)
            chosen_agencies = rng.choices(self.agencies, weights=self.agency_weights, k=size)
            chosen_days = rng.choices(days, weights=day_weights, k=size)
            prospects, visits, plans = [], [], []
            for agency, day in zip(chosen_agencies, chosen_days, strict=True):
                city, postcode = agency.city, agency.postal_code
                prospects.append(
                    Prospect(
                        agency=agency,
                        first_name=rng.choice(FIRST_NAMES),
                        last_name=rng.choice(LAST_NAMES),
                        address=f"{rng.randint(1, 200)} avenue des Tilleuls",
                        postal_code=postcode,
                        city=city,
                    )
                )
                when = datetime(day.year, day.month, day.day, rng.randint(8, 18),
                                rng.choice((0, 30)), tzinfo=tz)  # fmt: skip
                plan = self._plan(day)
                activities = plan["activities"]
                visits.append(
                    Visit(
                        uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                        agency=agency,
                        advisor_id=rng.choice(self.advisors_of[agency.pk]),
                        scheduled_at=when,
                        activities=activities,
                        status=plan["status"],
                        channel=Channel.APP
                        if rng.random() < self._adoption(day)
                        else Channel.PAPER,
                        estimated_minutes=plan["estimated"],
                        proposed_minutes=plan["proposed"],
                        estimate=plan["estimate"],
                    )
                )
                plans.append(plan)
            prospects = Prospect.objects.bulk_create(prospects, batch_size=BATCH)
            for visit, prospect in zip(visits, prospects, strict=True):
                visit.prospect = prospect
            visits = Visit.objects.bulk_create(visits, batch_size=BATCH)
            self._quotes(visits, plans)
            done += size
            self.write(f"  {done:,} / {total:,} visits")

    def _plan(self, day: date) -> dict[str, Any]:
        """What happened to one visit: status, hours, and its quote if any."""
        rng = self.rng
        roll = rng.random()
        activities = (
            [Activity.HOUSEKEEPING.value]
            if roll < 0.75
            else [Activity.GARDENING.value]
            if roll < 0.95
            else [Activity.HOUSEKEEPING.value, Activity.GARDENING.value]
        )
        age = (self.until - day).days
        roll = rng.random()
        if age < 2:
            status = VisitStatus.SCHEDULED if roll < 0.8 else VisitStatus.IN_PROGRESS
        elif roll < 0.06:
            status = VisitStatus.CANCELLED
        elif roll < 0.40:
            status = VisitStatus.LOST  # no quote wanted, or refused (below)
        elif roll < 0.44:
            status = VisitStatus.NEEDS_CAPTURED
        else:
            status = VisitStatus.QUOTED
        minutes = {a: rng.choice(range(120, 481, 15)) for a in activities}
        estimated = sum(minutes.values())
        if status in (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS, VisitStatus.CANCELLED):
            return {"activities": activities, "status": status, "estimated": None,
                    "proposed": None, "estimate": None, "quote": None}  # fmt: skip
        proposed = estimated
        if rng.random() < 0.3:  # the advisor proposes another figure, usually a bit more
            proposed = max(120, estimated + rng.choice((-30, -15, 15, 30, 45, 60)))
            minutes = {a: round(v * proposed / estimated) for a, v in minutes.items()}
        quote: str | None = None
        if status == VisitStatus.QUOTED:
            # Most quotes older than a month are decided; newer ones may still wait.
            decided = age > 30 or rng.random() < 0.6
            if decided and rng.random() < 0.62:
                status, quote = VisitStatus.SIGNED, QuoteStatus.SIGNED
            elif decided and rng.random() < 0.7:
                status, quote = VisitStatus.LOST, QuoteStatus.REFUSED
            else:
                quote = QuoteStatus.ISSUED if age <= 30 else QuoteStatus.EXPIRED
        elif status == VisitStatus.LOST and rng.random() < 0.3:
            quote = QuoteStatus.REFUSED
        return {
            "activities": activities,
            "status": status,
            "estimated": estimated,
            "proposed": proposed,
            "estimate": {"minutes_per_week": estimated, "activities": [
                {"activity": a, "minutes_per_week": v} for a, v in minutes.items()]},
            "quote": quote,
            "minutes": minutes,
        }  # fmt: skip

    def _quotes(self, visits: list[Visit], plans: list[dict[str, Any]]) -> None:
        rng = self.rng
        quotes, signed = [], []
        for visit, plan in zip(visits, plans, strict=True):
            if plan["quote"] is None:
                continue
            agency = visit.agency
            brand_id = agency.brand_id
            day = timezone.localtime(visit.scheduled_at).date() + timedelta(
                days=rng.choice((0, 0, 1, 2))
            )
            day = min(day, self.until)
            self.counters[(brand_id, day.year)] += 1
            sequence = self.counters[(brand_id, day.year)]
            local_visit_day = timezone.localtime(visit.scheduled_at).date()
            issued_at = visit.scheduled_at + timedelta(days=(day - local_visit_day).days, hours=1)
            changed = issued_at
            if plan["quote"] in (QuoteStatus.SIGNED, QuoteStatus.REFUSED):
                # Signed within days, sometimes weeks (lognormal, median about 4 days).
                delay = min(rng.lognormvariate(1.4, 0.7), 28)
                changed = min(
                    issued_at + timedelta(days=delay),
                    timezone.make_aware(datetime.combine(self.until, time(20))),
                )
            elif plan["quote"] == QuoteStatus.EXPIRED:
                changed = issued_at + timedelta(days=31)
            quote = Quote(
                visit=visit,
                brand_id=brand_id,
                price_list=self.price_lists[brand_id],
                number=f"{agency.brand.quote_prefix}-{day.year}-{sequence:06d}",
                year=day.year,
                sequence=sequence,
                status=plan["quote"],
                quote_date=day,
                valid_until=day + timedelta(days=30),
                figures=self._figures(brand_id, plan["minutes"]),
                issued_at=issued_at,
                status_changed_at=changed,
            )
            quotes.append(quote)
            if plan["quote"] == QuoteStatus.SIGNED:
                signed.append(quote)
        Quote.objects.bulk_create(quotes, batch_size=BATCH)
        Contract.objects.bulk_create(
            [Contract(quote=q, general_terms=self.terms) for q in signed], batch_size=BATCH
        )

    def counters_save(self) -> None:
        """Numbering goes on after the seeded quotes: the next quote issued is not a duplicate."""
        for (brand_id, year), last in self.counters.items():
            QuoteCounter.objects.update_or_create(
                brand_id=brand_id, year=year, defaults={"last": last}
            )
