from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from organisation.models import Agency, Brand, Membership, Role, User
from visits.models import Activity, Prospect, Visit

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


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    prospect = factory.SubFactory(ProspectFactory)
    agency = factory.LazyAttribute(lambda o: o.prospect.agency)
    advisor = None
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    activities = factory.LazyFunction(lambda: [Activity.HOUSEKEEPING])
